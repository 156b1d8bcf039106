"""Write the Audit API's OpenAPI document to a file: ``python -m assay.server.openapi_document
docs/openapi.json`` (``make openapi``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assay.server.app import create_app
from assay.server.settings import ServerSettings

__all__ = ["openapi_document"]


def openapi_document() -> dict[str, object]:
    """The OpenAPI document the server publishes at /openapi.json (no database is opened)."""
    document: dict[str, object] = create_app(ServerSettings("sqlite://", "openapi")).openapi()
    return document


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/openapi.json")
    target.write_text(json.dumps(openapi_document(), indent=2) + "\n", encoding="utf-8")

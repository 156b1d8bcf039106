"""The official schemas kept beside the repository (``shared/reference``), test oracles for the
formats assay writes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REFERENCE = Path(
    os.environ.get("ASSAY_REFERENCE_DIR", Path(__file__).parents[3] / "shared" / "reference")
)


def sarif_schema() -> dict[str, Any]:
    """OASIS SARIF 2.1.0 (errata 01), JSON Schema draft-04."""
    loaded: dict[str, Any] = json.loads(
        (REFERENCE / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    )
    return loaded

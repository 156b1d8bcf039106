"""Reading a scan document (``assay scan --format json``) given as evidence to
``assay maturity score --evidence``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.errors import InvalidInputError
from assay.files.documents import load_document
from assay.scan.result import SCAN_SCHEMA

__all__ = ["load_scan"]

_EXPECTED = "the JSON written by `assay scan --format json`"


def load_scan(path: Path, framework_id: str) -> dict[str, Any]:
    """The scan in ``path``; refuses (naming the file) anything that is not a scan document or
    a scan that did not pre-fill ``framework_id``."""
    document = load_document(path)
    data = document.data
    if not isinstance(data, dict) or data.get("schema") != SCAN_SCHEMA:
        raise InvalidInputError(
            f'not a scan document (no "schema": "{SCAN_SCHEMA}")',
            source=str(path),
            expected=_EXPECTED,
        )
    for key, kind in (("findings", list), ("frameworks", dict), ("capabilities", dict)):
        if not isinstance(data.get(key), kind):
            raise InvalidInputError(
                f"{key!r} is missing or not a {kind.__name__}", source=str(path), expected=_EXPECTED
            )
    if framework_id not in data["frameworks"]:
        raise InvalidInputError(
            f"the scan did not pre-fill {framework_id!r} (it has: "
            f"{', '.join(data['frameworks']) or 'none'})",
            source=str(path),
            expected=f"a scan run with --framework {framework_id} or without --framework",
        )
    return data

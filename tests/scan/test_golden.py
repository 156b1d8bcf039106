"""A scan of a composite fixture repository against its golden output: every finding, piece of
evidence, framework suggestion and capability, so any change of behaviour shows as a diff.
Regenerate with ``ASSAY_UPDATE_GOLDEN=1`` after a deliberate change, and read the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from assay.services.scan import scan_path
from tests.helpers.repos import make_repo
from tests.scan.cases import CASES

GOLDEN = Path(__file__).parent / "golden" / "composite.json"
COMPOSITE = ("ci through make", "tests, locks", "kubernetes", "tracking, registry", "dvc pipeline")


def _stable(document: dict[str, Any]) -> dict[str, Any]:
    """The scan without what differs between machines and runs (path, time, version)."""
    kept = {
        key: document[key]
        for key in ("schema", "summary", "findings", "frameworks", "capabilities")
    }
    kept["repository"] = {
        "commit": document["repository"]["commit"],
        "files": document["repository"]["files"],
    }
    return kept


def test_the_composite_repository_scans_to_its_golden_output(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {}
    for case in CASES:
        if case.name.startswith(COMPOSITE):
            files.update(case.files)
    make_repo(tmp_path / "composite", files)
    found = _stable(scan_path(tmp_path / "composite", project="composite"))
    if os.environ.get("ASSAY_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert found == json.loads(GOLDEN.read_text(encoding="utf-8"))

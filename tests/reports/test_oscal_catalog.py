"""Every built-in maturity framework as an OSCAL catalog: valid against the official
definitions, every topic or statement a control with a unique id, every described level an
assessment objective, the source cited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.catalog import builtin_framework_ids, load_framework
from tests.helpers.reference import oscal_catalog_validator
from tests.helpers.running import run_cli


@pytest.mark.parametrize("framework_id", builtin_framework_ids())
def test_framework_catalogs_are_valid_and_complete(
    framework_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = run_cli(
        capsys,
        "maturity",
        "export-oscal",
        "--framework",
        framework_id,
        "-o",
        str(tmp_path / "catalog.json"),
    )
    assert written.exit_code == 0, written.stderr
    document = json.loads((tmp_path / "catalog.json").read_text())
    errors = [e.message for e in oscal_catalog_validator().iter_errors(document)]
    assert errors == []
    broken = json.loads(json.dumps(document))
    broken["catalog"]["groups"][0]["controls"][0]["id"] = "not a token"
    broken["catalog"]["metadata"]["last-modified"] = "yesterday"
    assert len(list(oscal_catalog_validator().iter_errors(broken))) == 2, "the check can fail"
    framework = load_framework(framework_id)
    controls = [c for g in document["catalog"]["groups"] for c in g["controls"]]
    assert len(controls) == (framework.item_count or len(framework.scale))
    ids = [c["id"] for c in controls] + [p["id"] for c in controls for p in c.get("parts", [])]
    assert len(ids) == len(set(ids))
    objectives = sum(len(c.get("parts", [])) for c in controls)
    assert objectives == sum(len(t.descriptors) for t in framework.topics) + len(
        framework.statements
    ) + (0 if framework.item_count else len(framework.scale))
    (resource,) = document["catalog"]["back-matter"]["resources"]
    assert resource["title"] == framework.source.title
    assert document["catalog"]["metadata"]["links"][0]["href"] == f"#{resource['uuid']}"


def test_an_unknown_framework_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    refused = run_cli(capsys, "maturity", "export-oscal", "--framework", "nope")
    assert refused.exit_code == 2
    assert "Traceback" not in refused.stderr

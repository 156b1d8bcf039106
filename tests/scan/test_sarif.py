"""The scan as SARIF 2.1.0, checked against the official OASIS schema and the rules of the
specification the schema cannot express."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft4Validator

from assay.catalog.scan import probe_definitions
from tests.helpers.reference import sarif_schema
from tests.helpers.repos import make_repo
from tests.helpers.running import run_process
from tests.scan.cases import CASES


def test_sarif_is_valid_with_one_rule_per_probe_and_levels_by_outcome(tmp_path: Path) -> None:
    cases = {case.name: case for case in CASES}
    files = {
        **cases["ci through make to pytest and ruff"].files,
        **cases["a base image by tag only"].files,
        "tests/test_a.py": "def test_a():\n    pass\n",
    }
    commit = make_repo(tmp_path / "repo", files)
    result = run_process(
        "scan", str(tmp_path / "repo"), "--format", "sarif", "-o", str(tmp_path / "scan.sarif")
    )
    assert result.exit_code == 0, result.stderr
    log = json.loads((tmp_path / "scan.sarif").read_text())
    errors = sorted(Draft4Validator(sarif_schema()).iter_errors(log), key=str)
    assert not errors, errors[:3]
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [d.id for d in probe_definitions()]
    assert run["versionControlProvenance"][0]["revisionId"] == commit
    by_rule = {result["ruleId"]: result for result in run["results"]}
    assert len(by_rule) == len(rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        # SARIF §3.27.9/10: a level other than none only with kind fail.
        assert (result["kind"] == "fail") == (result["level"] != "none")
    unpinned = by_rule["docker-base-image-pinned"]
    assert (unpinned["kind"], unpinned["level"]) == ("fail", "warning")
    location = unpinned["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "deploy/Dockerfile", "uriBaseId": "SRCROOT"}
    assert location["region"]["startLine"] == 1
    assert by_rule["ci-runs-tests"]["kind"] == "pass"
    assert by_rule["review-rules"]["kind"] == "review"
    assert by_rule["model-card-sections"]["kind"] == "notApplicable"

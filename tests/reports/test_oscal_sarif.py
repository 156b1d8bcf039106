"""Audit runs exported as OSCAL and SARIF, checked against the official schemas kept in
``shared/reference`` (OSCAL 1.2.1 assessment results and component definition, SARIF 2.1.0)
and against OSCAL's own rules the schemas cannot express (uuid cross-references, allowed
values); what confidential values an auditor's export withholds; identical bytes from two
exports of one run; a real CLI and a real store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.helpers.reference import oscal_validator, sarif_schema
from tests.helpers.running import run_cli

SPEC: dict[str, Any] = {
    "spec": 1,
    "id": "oscal-demo",
    "name": "OSCAL demo",
    "version": "2",
    "target": "model@1",
    "dimensions": [
        {
            "id": "quality",
            "name": "Quality",
            "requirements": [
                {
                    "id": "accurate",
                    "name": "Accurate",
                    "metrics": [
                        {
                            "id": "eval",
                            "name": "Evaluation",
                            "assessment_interface": "file:eval.json",
                            "measurements": [
                                {
                                    "id": "accuracy",
                                    "select": "accuracy",
                                    "name": "Accuracy",
                                    "comparison": "greater_or_equal",
                                    "target": 0.8,
                                },
                                {
                                    "id": "latency",
                                    "select": "latency",
                                    "name": "Latency",
                                    "comparison": "less_or_equal",
                                    "target": 100,
                                    "confidential": True,
                                },
                            ],
                        }
                    ],
                },
                {
                    "id": "fast",
                    "name": "Throughput",
                    "severity": "advisory",
                    "metrics": [
                        {
                            "id": "perf",
                            "name": "Performance",
                            "assessment_interface": "file:eval.json",
                            "measurements": [
                                {
                                    "id": "throughput",
                                    "select": "throughput",
                                    "name": "Throughput",
                                    "comparison": "greater_or_equal",
                                    "target": 1000,
                                }
                            ],
                        }
                    ],
                },
                {
                    "id": "fair",
                    "name": "Fair",
                    "metrics": [
                        {
                            "id": "fairness",
                            "name": "Fairness",
                            "assessment_interface": "file:eval.json",
                            "measurements": [
                                {
                                    "id": "parity",
                                    "select": "parity",
                                    "name": "Parity gap",
                                    "comparison": "less_or_equal",
                                    "target": 0.05,
                                }
                            ],
                        }
                    ],
                },
                {
                    "id": "reviewed",
                    "name": "Reviewed",
                    "metrics": [
                        {
                            "id": "review",
                            "name": "Review",
                            "measurements": [
                                {
                                    "id": "review-score",
                                    "name": "Review score",
                                    "comparison": "greater_or_equal",
                                    "target": 3,
                                }
                            ],
                        }
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture
def project(tmp_path: Path, assay_home: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    (tmp_path / "eval.json").write_text(
        json.dumps({"accuracy": 0.91, "latency": 42, "throughput": 500, "parity": 0.2})
    )
    spec = str(tmp_path / "spec.yaml")
    attested = run_cli(
        capsys,
        "audit",
        "attest",
        spec,
        "review-score",
        "--value",
        "4",
        "--by",
        "Alice Auditor",
        "--expires",
        "P30D",
        "--evidence",
        "https://wiki.example.org/review",
    )
    assert attested.exit_code == 0, attested.stderr
    waived = run_cli(
        capsys,
        "audit",
        "waive",
        spec,
        "parity",
        "--by",
        "Carol",
        "--justification",
        "new data set next sprint",
        "--expires",
        "P30D",
    )
    assert waived.exit_code == 0, waived.stderr
    return tmp_path


def _uuids(document: Any) -> list[str]:
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "uuid" and isinstance(value, str):
                found.append(value)
            found += _uuids(value)
    elif isinstance(document, list):
        for value in document:
            found += _uuids(value)
    return found


def _references(document: Any) -> list[str]:
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key.endswith("-uuid") and isinstance(value, str):
                found.append(value)
            found += _references(value)
    elif isinstance(document, list):
        for value in document:
            found += _references(value)
    return found


def test_assessment_results_are_valid_oscal_and_say_what_happened(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project / "out"
    out.mkdir()
    ran = run_cli(
        capsys,
        "audit",
        "run",
        str(project / "spec.yaml"),
        "-f",
        "oscal",
        "--audience",
        "auditor",
        "-o",
        str(out / "results.json"),
    )
    assert ran.exit_code == 0, ran.stderr
    document = json.loads((out / "results.json").read_text())
    errors = [e.message for e in oscal_validator("assessment-results").iter_errors(document)]
    assert errors == []
    results = document["assessment-results"]
    plan_name = results["import-ap"]["href"]
    assert (out / plan_name).is_file()
    plan = json.loads((out / plan_name).read_text())["assessment-plan"]
    selected = plan["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert [c["control-id"] for c in selected] == ["accurate", "fast", "fair", "reviewed"]

    (result,) = results["results"]
    uuids = _uuids(document)
    assert len(uuids) == len(set(uuids)), "every uuid is unique"
    assert set(_references(document)) <= set(uuids) | {
        p["uuid"] for p in results["metadata"].get("parties", [])
    }, "every reference resolves"
    by_target = {f["target"]["target-id"]: f["target"]["status"] for f in result["findings"]}
    assert by_target == {
        "accurate": {"state": "satisfied", "reason": "pass"},
        "fast": {"state": "not-satisfied", "reason": "fail"},
        "fair": {"state": "satisfied", "reason": "pass"},
        "reviewed": {"state": "satisfied", "reason": "pass"},
    }
    observations = {o["title"]: o for o in result["observations"]}
    assert observations["Accuracy"]["methods"] == ["TEST"]
    assert observations["Review score"]["methods"] == ["EXAMINE"]
    party = observations["Review score"]["origins"][0]["actors"][0]
    assert party["type"] == "party"
    assert {p["uuid"]: p["name"] for p in results["metadata"]["parties"]} == {
        party["actor-uuid"]: "Alice Auditor"
    }
    assert observations["Accuracy"]["origins"][0]["actors"][0]["type"] == "tool"
    evidence = observations["Accuracy"]["relevant-evidence"]
    ledger = [e for e in evidence if e["href"].startswith("urn:assay:ledger:")]
    assert len(ledger) == 1
    digest = {p["name"]: p["value"] for p in ledger[0]["props"]}["ledger-entry-sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    values = {p["name"]: p["value"] for p in observations["Accuracy"]["props"]}
    assert values["value"] == "0.91"
    latency = {p["name"]: p["value"] for p in observations["Latency"]["props"]}
    assert (latency["value"], latency["target"]) == ("[confidential]", "[confidential]")
    (risk,) = result["risks"]
    assert risk["status"] == "deviation-approved"
    assert "new data set next sprint" in risk["description"]

    run_id = {p["name"]: p["value"] for p in result["props"]}["run-id"]
    again = run_cli(capsys, "audit", "export", run_id, "-o", str(out / "again.json"))
    assert again.exit_code == 0, again.stderr
    assert (out / "again.json").read_bytes() == (out / "results.json").read_bytes()
    engineer = run_cli(capsys, "audit", "export", run_id, "--audience", "engineer")
    assert '"value": "42"' in engineer.stdout
    refused = run_cli(capsys, "audit", "export", run_id, "--audience", "public")
    assert refused.exit_code == 2
    unknown = run_cli(capsys, "audit", "export", "nope")
    assert unknown.exit_code == 2
    assert "Traceback" not in unknown.stderr


def test_component_definition_of_a_spec_is_valid_oscal(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = run_cli(
        capsys,
        "audit",
        "export-spec",
        str(project / "spec.yaml"),
        "-o",
        str(project / "component.json"),
    )
    assert written.exit_code == 0, written.stderr
    document = json.loads((project / "component.json").read_text())
    assert [e.message for e in oscal_validator("component").iter_errors(document)] == []
    (component,) = document["component-definition"]["components"]
    implemented = component["control-implementations"][0]["implemented-requirements"]
    assert [r["control-id"] for r in implemented] == ["accurate", "fast", "fair", "reviewed"]
    summaries = [p["value"] for p in implemented[0]["props"] if p["name"] == "measurement"]
    assert summaries == [
        "accuracy greater_or_equal 0.8",
        "latency less_or_equal [confidential]",
    ]
    plan = run_cli(capsys, "audit", "export-spec", str(project / "spec.yaml"), "-f", "oscal-plan")
    assert json.loads(plan.stdout)["assessment-plan"]["import-ssp"]["href"].startswith(
        "urn:assay:spec:oscal-demo:"
    )


def test_gate_results_as_sarif(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = project / "spec.yaml"
    ran = run_cli(
        capsys,
        "audit",
        "run",
        str(spec),
        "-f",
        "sarif",
        "-o",
        str(project / "gate.sarif"),
    )
    assert ran.exit_code == 0, ran.stderr
    log = json.loads((project / "gate.sarif").read_text())
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    (run,) = log["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["accuracy", "latency", "throughput", "parity", "review-score"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert {k: (r["kind"], r["level"]) for k, r in results.items()} == {
        "accuracy": ("pass", "none"),
        "latency": ("pass", "none"),
        "throughput": ("fail", "warning"),
        "parity": ("fail", "note"),
        "review-score": ("pass", "none"),
    }
    assert results["parity"]["suppressions"][0]["status"] == "accepted"
    lines = spec.read_text().splitlines()
    for rule_id, result in results.items():
        location = result["locations"][0]["physicalLocation"]
        line = lines[location["region"]["startLine"] - 1]
        assert re.search(rf"id: {re.escape(rule_id)}$", line), (rule_id, line)
        assert location["artifactLocation"]["uri"].endswith("spec.yaml")
        assert result["ruleIndex"] == rules.index(rule_id)
    for result in run["results"]:
        assert result["kind"] == "fail" or result["level"] == "none"

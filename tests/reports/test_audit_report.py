"""Audit reports as their readers see them: the executive's one page (what failed, the risks
left open, what to do), the auditor's evidence digests, significant digits in HTML and Markdown
while JSON keeps full precision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.running import run_cli

SPEC = {
    "spec": 1,
    "id": "credit",
    "name": "Credit model",
    "risks": [
        {
            "id": "wrong-decisions",
            "description": "Good applicants are refused.",
            "severity": "high",
        },
        {"id": "unfair", "description": "Groups are treated differently.", "severity": "critical"},
    ],
    "dimensions": [
        {
            "id": "performance",
            "name": "Performance",
            "requirements": [
                {
                    "id": "accurate",
                    "name": "The model is accurate",
                    "risks": ["wrong-decisions"],
                    "metrics": [
                        {
                            "id": "holdout",
                            "name": "Holdout",
                            "assessment_interface": "file:metrics.json",
                            "measurements": [
                                {
                                    "id": "accuracy",
                                    "name": "Accuracy",
                                    "comparison": "greater_or_equal",
                                    "target": 0.8,
                                    "select": "accuracy",
                                },
                                {
                                    "id": "auc",
                                    "name": "ROC AUC",
                                    "comparison": "greater_or_equal",
                                    "target": 0.7,
                                    "select": "auc",
                                },
                            ],
                        }
                    ],
                },
                {
                    "id": "fair",
                    "name": "Fair to every group",
                    "risks": ["unfair"],
                    "metrics": [
                        {
                            "id": "parity",
                            "name": "Parity",
                            "assessment_interface": "file:metrics.json",
                            "measurements": [
                                {
                                    "id": "dpd",
                                    "name": "Demographic parity difference",
                                    "comparison": "less_or_equal",
                                    "target": 0.1,
                                    "select": "dpd",
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
def project(tmp_path: Path) -> Path:
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    (tmp_path / "metrics.json").write_text(
        json.dumps({"accuracy": 0.74123456, "auc": 0.912345678, "dpd": 0.05})
    )
    return tmp_path


def report(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> str:
    db = f"sqlite:///{project / 'assay.db'}"
    result = run_cli(capsys, "audit", "run", str(project / "spec.yaml"), "--db", db, *args)
    assert result.exit_code == 0, result
    return result.stdout


def test_the_executive_report_says_what_failed_the_risks_and_what_to_do(
    capsys: pytest.CaptureFixture[str], project: Path, assay_home: Path
) -> None:
    text = report(capsys, project, "-f", "markdown", "--audience", "executive")
    failed = text.split("## What failed", 1)[1].split("##", 1)[0]
    assert "**The model is accurate** (accurate, blocking): fail" in failed
    assert "Fair to every group" not in failed
    risks = text.split("## Risks left open", 1)[1].split("##", 1)[0]
    assert "**wrong-decisions** (high): Good applicants are refused." in risks
    assert "unfair" not in risks
    todo = text.split("## What to do", 1)[1].split("##", 1)[0]
    assert "bring Accuracy (accuracy) to ≥ 0.8 (now 0.741)" in todo
    assert "auc" not in todo, "only what failed is to be done"
    assert "0.74123456" not in text
    model = json.loads(report(capsys, project, "-f", "json", "--audience", "executive"))
    assert [item["id"] for item in model["attention"]] == ["accurate"]


def test_human_reports_round_and_json_keeps_full_precision(
    capsys: pytest.CaptureFixture[str], project: Path, assay_home: Path
) -> None:
    html = report(capsys, project, "-f", "html", "--audience", "engineer")
    assert ">0.741<" in html
    assert ">0.912<" in html
    assert "0.74123456" not in html
    assert "Accuracy (accuracy)" in html
    assert "0.741 is below the target ≥ 0.8" in html
    model = json.loads(report(capsys, project, "-f", "json"))
    values = {
        m["id"]: m["value"]
        for m in model["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
    }
    assert values == {"accuracy": 0.74123456, "auc": 0.912345678}


def test_the_auditor_report_lists_the_ledger_entries_with_their_hashes(
    capsys: pytest.CaptureFixture[str], project: Path, assay_home: Path
) -> None:
    text = report(capsys, project, "-f", "markdown", "--audience", "auditor")
    table = text.split("## Evidence in the ledger", 1)[1]
    store = open_store(DatabaseChoice(f"sqlite:///{project / 'assay.db'}", "test"))
    try:
        entries = {entry.seq: entry for entry in store.ledger.entries()}
    finally:
        store.close()
    rows = [
        line.split("|")[1:-1]
        for line in table.splitlines()
        if line.startswith("| ") and "`" in line
    ]
    assert len(rows) >= 4, "spec, three measurements and the run"
    for seq, kind, _element, digest in rows:
        entry = entries[int(seq)]
        assert (entry.kind, entry.hash) == (kind.strip(), digest.strip().strip("`"))
    kinds = [kind.strip() for _, kind, _, _ in rows]
    assert kinds.count("audit.measurement") == 3
    assert "audit.run" in kinds

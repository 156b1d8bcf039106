"""What measured figures say about each plane's answered level: the rules of the plane catalog
on hand-made figures, and ``assay maturity score --measured`` end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay.catalog.metrics import plane_catalog
from assay.metrics.planes import plane_evidence
from tests.helpers.paths import REPO
from tests.helpers.running import run_cli

DORA: dict[str, Any] = {
    "deployment_frequency": {"per_week": 3.0},
    "lead_time_hours": {"median": 15.0},
    "change_failure_rate": {"value": 0.4},
    "recovery_time_hours": {"median": None},
    "rework_rate": {"value": 0.05},
    "tiers": {
        "deployment_frequency": "high",
        "lead_time": "elite",
        "change_failure_rate": "low",
        "recovery_time": None,
    },
}
ML: dict[str, Any] = {
    "time_to_retrain_hours": {"median": 30.0},
    "data_freshness_lag_hours": {"median": 200.0},
    "governance_coverage": {"value": 0.9},
    "explainability_coverage": {"value": 0.5},
}


def verdicts(levels: dict[str, int | None]) -> dict[tuple[str, str], str]:
    rows = plane_evidence(plane_catalog(), levels, DORA, ML)
    return {(row["plane"], row["figure"]): row["verdict"] for row in rows}


def test_each_level_is_held_to_its_own_expectations() -> None:
    got = verdicts({"process": 3, "platform": 3, "team": 3, "product": 3})
    assert got == {
        ("process", "deployment_frequency"): "supports",  # high, as level 3 expects
        ("process", "lead_time"): "supports",  # elite beats high
        ("process", "recovery_time"): "no data",
        ("platform", "time_to_retrain"): "supports",  # 30 h within a week
        ("platform", "data_freshness_lag"): "contradicts",  # 200 h > 168 h
        ("team", "change_failure_rate"): "contradicts",  # low, level 3 expects high
        ("team", "rework_rate"): "supports",
        ("product", "governance_coverage"): "supports",
        ("product", "explainability_coverage"): "contradicts",
    }
    # Level 4 expects elite throughput; level 1 expects little; unanswered planes say nothing.
    higher = verdicts({"process": 4, "platform": None})
    assert higher[("process", "deployment_frequency")] == "contradicts"
    assert ("platform", "time_to_retrain") not in higher
    assert verdicts({"process": 1}) == {
        ("process", "deployment_frequency"): "supports",
        ("process", "lead_time"): "supports",
    }
    assert verdicts({"team": 0}) == {}


def test_score_measured_end_to_end(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    now_lines = [
        {
            "id": "d1",
            "type": "deployment",
            "time": "2026-11-20T10:00:00Z",
            "service": "api",
            "environment": "production",
            "outcome": "success",
            "changes": [{"id": "c1", "time": "2026-11-20T08:00:00Z"}],
        },
    ]
    events.write_text("\n".join(json.dumps(e) for e in now_lines) + "\n")
    assert run_cli(capsys, "events", "import", str(events)).exit_code == 0
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "framework: ai-first\nrespondents:\n  - name: Lead\n    answers:\n"
        "      process: 2\n      platform: 2\n      team: 2\n      product: 1\n"
    )
    window = ("--measured", "--window", "9999d")
    result = run_cli(capsys, "maturity", "score", str(answers), *window, "-f", "json")
    assert result.exit_code == 0, result.stderr
    measured = json.loads(result.stdout)["measured"]
    rows = {(r["plane"], r["figure"]): r for r in measured["planes"]}
    assert rows[("process", "lead_time")]["value"] == 2.0
    assert rows[("process", "lead_time")]["verdict"] == "supports"
    assert rows[("team", "change_failure_rate")]["value"] == 0.0
    assert rows[("platform", "data_freshness_lag")]["verdict"] == "no data"
    report = tmp_path / "report.md"
    written = run_cli(
        capsys, "maturity", "score", str(answers), *window, "-f", "markdown", "-o", str(report)
    )
    assert written.exit_code == 0, written.stderr
    text = report.read_text(encoding="utf-8")
    assert "## What the measured figures say" in text
    assert "| process | 2 | lead time | 2 (elite) | tier medium or better | supports |" in text
    table = run_cli(capsys, "maturity", "score", str(answers), *window)
    assert "Measured figures" in table.stdout
    iml4e = run_cli(
        capsys,
        "maturity",
        "score",
        str(REPO / "src/assay/examples/maturity/credit-scoring-2026-q1.yaml"),
        "--measured",
        "-f",
        "json",
    )
    assert iml4e.exit_code == 0
    assert json.loads(iml4e.stdout)["measured"]["planes"] == []

"""The ``metrics`` collector: a spec audits delivery like a model ("change failure rate at
most 0.15 over 28 days"), from the events of the run's own store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from assay.files.spec import load_spec
from assay.metrics.events import parse_event
from assay.services.audit_runs import run_audit
from assay.services.events import ingest
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.specs import spec_document


def test_a_spec_gates_on_the_change_failure_rate(database_url: str, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)

    def ago(days: int) -> str:
        return (now - timedelta(days=days)).isoformat()

    raw = [
        {
            "id": f"d{n}",
            "type": "deployment",
            "time": ago(n),
            "service": "api",
            "environment": "production",
            "outcome": "success",
            "changes": [{"id": f"c{n}", "time": ago(n + 1)}],
        }
        for n in (1, 2, 3, 4)
    ] + [
        {
            "id": "i1",
            "type": "incident",
            "time": ago(1),
            "service": "api",
            "environment": "production",
            "deployment": "d2",
        },
        {
            "id": "old",
            "type": "deployment",
            "time": ago(40),
            "service": "api",
            "environment": "production",
            "outcome": "success",
            "changes": [],
        },
    ]
    document = spec_document(
        [
            {
                "id": "cfr",
                "name": "Change failure rate",
                "comparison": "less_or_equal",
                "target": 0.15,
                "assessment_interface": {
                    "kind": "metrics",
                    "metric": "change_failure_rate",
                    "service": "api",
                    "window": "28d",
                },
            },
            {
                "id": "lead",
                "name": "Lead time (h)",
                "comparison": "less_or_equal",
                "target": 48,
                "assessment_interface": {
                    "kind": "metrics",
                    "metric": "lead_time",
                    "service": "api",
                },
            },
            {
                "id": "web",
                "name": "Web deployments",
                "comparison": "greater_or_equal",
                "target": 1,
                "assessment_interface": {
                    "kind": "metrics",
                    "metric": "change_failure_rate",
                    "service": "web",
                },
            },
        ]
    )
    path = tmp_path / "delivery.yaml"
    path.write_text(yaml.safe_dump(document))
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        ingest(store, [parse_event(e, now=now) for e in raw])
        record = run_audit(store, load_spec(path), "delivery")
        outcomes = {m.id: m for m in record.model.measurements()}
        assert outcomes["cfr"].value == 0.25  # d2 of d1..d4; the 40-day-old one is outside
        assert outcomes["cfr"].outcome == "fail"
        assert outcomes["lead"].value == 24.0
        assert outcomes["lead"].outcome == "pass"
        assert outcomes["web"].outcome == "error"
        assert "no change failure rate in the last 28d" in str(outcomes["web"].error)
    finally:
        store.close()


def test_bad_parameters_are_refused_when_the_spec_loads(tmp_path: Path) -> None:
    from assay.errors import InvalidInputError

    document = spec_document(
        [
            {
                "id": "x",
                "name": "X",
                "comparison": "less_or_equal",
                "target": 1,
                "assessment_interface": {"kind": "metrics", "metric": "happiness"},
            }
        ]
    )
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(InvalidInputError, match="metric"):
        load_spec(path)

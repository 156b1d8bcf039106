"""An audit run of a model version is an ``audit`` event for the ML metrics, and a failed
drift measurement a drift alert, stored in the run's transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml

from assay.files.spec import load_spec
from assay.metrics.windows import Window
from assay.services.audit_runs import run_audit
from assay.services.metrics import ml_report
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.specs import spec_document


def test_runs_become_audit_events_and_drift_alerts(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "values.json").write_text(json.dumps({"psi": 0.4, "auc": 0.9}))
    document = spec_document(
        [
            {
                "id": "income_drift",
                "name": "PSI of income",
                "comparison": "less_than",
                "target": 0.2,
                "assessment_interface": "file:values.json#psi",
            },
            {
                "id": "auc",
                "name": "AUC",
                "comparison": "greater_than",
                "target": 0.8,
                "assessment_interface": "file:values.json#auc",
            },
        ]
    )
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document))
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        moments = iter([datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 2, 0, 1, tzinfo=UTC)])
        record = run_audit(store, load_spec(path), "fraud@3", now=lambda: next(moments))
        assert record.model.verdict == "fail"
        listed = [json.loads(r.body) for r in store.events.listed()]
        by_type = {e["type"]: e for e in listed}
        assert set(by_type) == {"audit", "drift_alert"}
        assert by_type["audit"] | {} == {
            "id": f"run-{record.model.run_id}",
            "source": "assay",
            "type": "audit",
            "time": "2026-11-02T00:01:00Z",
            "model": "fraud",
            "version": "3",
            "outcome": "fail",
            "spec": "s",
            "run_id": record.model.run_id,
        }
        assert by_type["drift_alert"]["measurement"] == "income_drift"
        window = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC))
        figures = ml_report(store, window=window)
        assert figures["drift_alerts"]["count"] == 1
        # A run on a target that is not a model version makes no audit event.
        run_audit(
            store, load_spec(path), "batch-job", now=lambda: datetime(2026, 11, 3, tzinfo=UTC)
        )
        assert store.events.counts() == {"audit": 1, "drift_alert": 1}
    finally:
        store.close()

"""``/metrics`` for Prometheus, computed from the store at each scrape (so every server process
reports the same numbers): conformity per spec and target, the last run's non-confidential
numeric measurement values, run counts and durations, collection errors and evidence age."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from assay.audit.confidentiality import hidden_run_elements
from assay.server.auth import store_of
from assay.services.audit_actions import current_statuses
from assay.store import Store
from assay.store.audit_log import AuditLog

__all__ = ["AuditMetrics", "router"]

router = APIRouter()
STATES = ("conformant", "non-conformant", "expired", "unknown")


class AuditMetrics:
    """A Prometheus collector reading the audit records of ``store``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        """The metric families, computed now."""
        now = datetime.now(UTC)
        conformity = GaugeMetricFamily(
            "assay_conformity",
            "1 when the (spec, target) is in this conformity state, 0 otherwise",
            labels=["spec", "target", "state"],
        )
        for row in current_statuses(self.store, now, record=False):
            for state in STATES:
                value = 1.0 if row.status.value == state else 0.0
                conformity.add_metric([row.spec, row.target, state], value)
        yield conformity
        runs = AuditLog(self.store.ledger).runs()
        counts = Counter((r.spec.id, r.target, r.verdict) for r in runs)
        total = CounterMetricFamily(
            "assay_runs", "Audit runs stored, by verdict", labels=["spec", "target", "verdict"]
        )
        for (spec, target, verdict), count in sorted(counts.items()):
            total.add_metric([spec, target, verdict], count)
        yield total
        latest = {(r.spec.id, r.target): r for r in runs}
        duration = GaugeMetricFamily(
            "assay_last_run_duration_seconds",
            "How long the last run took",
            labels=["spec", "target"],
        )
        age = GaugeMetricFamily(
            "assay_evidence_age_seconds",
            "Seconds since the last run finished",
            labels=["spec", "target"],
        )
        errors = GaugeMetricFamily(
            "assay_last_run_collection_errors",
            "Measurements the last run could not collect or compare",
            labels=["spec", "target"],
        )
        values = GaugeMetricFamily(
            "assay_measurement_value",
            "The last run's value of each non-confidential numeric measurement",
            labels=["spec", "target", "measurement"],
        )
        for (spec, target), run in sorted(latest.items()):
            started = datetime.fromisoformat(run.started)
            finished = datetime.fromisoformat(run.finished)
            duration.add_metric([spec, target], (finished - started).total_seconds())
            age.add_metric([spec, target], (now - finished).total_seconds())
            failed = 0
            hidden = hidden_run_elements(run)
            for node in run.measurements():
                if node.outcome == "error":
                    failed += 1
                measured = node.value
                if isinstance(measured, bool) or not isinstance(measured, int | float):
                    continue
                if node.id not in hidden:
                    values.add_metric([spec, target, node.id], float(measured))
            errors.add_metric([spec, target], failed)
        yield from (duration, age, errors, values)


@router.get(
    "/metrics",
    summary="Prometheus metrics (public, no confidential values)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AuditMetrics(store_of(request)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

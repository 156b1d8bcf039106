"""``/metrics`` for Prometheus, computed from the store at each scrape (so every server process
reports the same numbers): conformity per spec and target, the last run's non-confidential
numeric measurement values, run counts and durations, collection errors and evidence age; and
the delivery (DORA) and ML life-cycle figures of the last 28 days (refreshed each minute)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Lock
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from assay.audit.confidentiality import hidden_run_elements
from assay.catalog.metrics import load_prices
from assay.metrics.windows import Window
from assay.server.auth import store_of
from assay.services.audit_actions import current_statuses
from assay.services.llm_metrics import llm_report
from assay.services.metrics import delivery_by_service, ml_report
from assay.store import Store
from assay.store.audit_log import AuditLog

__all__ = ["AuditMetrics", "DeliveryMetrics", "router"]

router = APIRouter()
_CACHE_LOCK = Lock()
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


class DeliveryMetrics:
    """A Prometheus collector of the delivery (DORA) keys per service and environment and the
    ML life-cycle figures per model, over the last :data:`WINDOW`; computed at most once per
    :data:`REFRESH` seconds per process (a scrape must not recompute a large history)."""

    WINDOW = timedelta(days=28)
    REFRESH = 60.0

    LLM_WINDOW = timedelta(days=1)

    def __init__(self, store: Store, cache: dict[str, Any], prices: str | None = None) -> None:
        self.store = store
        self.cache = cache
        self.prices = prices

    def collect(self) -> Iterator[Metric]:
        """The metric families, from the application's cache while it is fresh."""
        with _CACHE_LOCK:
            cached = self.cache.get("delivery")
            if cached is None or time.monotonic() - cached[0] > self.REFRESH:
                cached = (time.monotonic(), list(self._families()))
                self.cache["delivery"] = cached
        yield from cached[1]

    def _families(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        window = Window(now - self.WINDOW, now)
        labels = ["service", "environment"]
        per_week = GaugeMetricFamily(
            "assay_dora_deployments_per_week",
            "Successful deployments per week over the last 28 days",
            labels=labels,
        )
        lead = GaugeMetricFamily(
            "assay_dora_lead_time_hours",
            "Lead time for changes over the last 28 days (quantile 0.5: median, 0.9: p90)",
            labels=[*labels, "quantile"],
        )
        cfr = GaugeMetricFamily(
            "assay_dora_change_failure_rate",
            "Share of deployments that caused an incident or were rolled back (28 days)",
            labels=labels,
        )
        recovery = GaugeMetricFamily(
            "assay_dora_recovery_time_hours",
            "Median failed deployment recovery time over the last 28 days",
            labels=labels,
        )
        rework = GaugeMetricFamily(
            "assay_dora_rework_rate",
            "Share of unplanned deployments over the last 28 days",
            labels=labels,
        )
        for service, environment, figures in delivery_by_service(self.store, window):
            pair = [service, environment]
            per_week.add_metric(pair, figures["deployment_frequency"]["per_week"])
            for quantile, key in (("0.5", "median"), ("0.9", "p90")):
                value = figures["lead_time_hours"][key]
                if value is not None:
                    lead.add_metric([*pair, quantile], value)
            for family, group, key in (
                (cfr, "change_failure_rate", "value"),
                (recovery, "recovery_time_hours", "median"),
                (rework, "rework_rate", "value"),
            ):
                if figures[group][key] is not None:
                    family.add_metric(pair, figures[group][key])
        yield from (per_week, lead, cfr, recovery, rework)
        ml = ml_report(self.store, window=window)
        age = GaugeMetricFamily(
            "assay_ml_model_age_days",
            "Days since the serving version of the model was deployed to production",
            labels=["model"],
        )
        governed = GaugeMetricFamily(
            "assay_ml_governance_coverage",
            "Share of the model's production versions (28 days) with a passing assay audit",
            labels=["model"],
        )
        alerts = GaugeMetricFamily(
            "assay_ml_drift_alerts",
            "Drift alerts of the model over the last 28 days",
            labels=["model"],
        )
        for row in ml["models"]:
            if row["model_age_days"] is not None:
                age.add_metric([row["model"]], row["model_age_days"])
            if row["governance_coverage"]["value"] is not None:
                governed.add_metric([row["model"]], row["governance_coverage"]["value"])
            alerts.add_metric([row["model"]], row["drift_alerts"]["count"])
        yield from (age, governed, alerts)
        yield from self._llm(now)

    def _llm(self, now: datetime) -> Iterator[Metric]:
        """LLM figures per service, model version and prompt over the last day."""
        report = llm_report(
            self.store,
            Window(now - self.LLM_WINDOW, now),
            load_prices(Path(self.prices) if self.prices else None),
            group_by=("service", "model", "version", "prompt_hash"),
        )
        labels = ["service", "model", "version", "prompt_hash"]
        families = {
            ("cost", "per_response"): GaugeMetricFamily(
                "assay_llm_cost_per_response",
                f"Mean cost of a priced response over the last day ({report['currency']})",
                labels=labels,
            ),
            ("latency_ms", "p95"): GaugeMetricFamily(
                "assay_llm_latency_p95_ms",
                "95th percentile response latency (last day)",
                labels=labels,
            ),
            ("hallucination_rate", "value"): GaugeMetricFamily(
                "assay_llm_hallucination_rate",
                "Share of evaluated responses judged unfaithful (last day)",
                labels=labels,
            ),
            ("downvote_rate", "value"): GaugeMetricFamily(
                "assay_llm_downvote_rate",
                "Share of votes that are down-votes (last day)",
                labels=labels,
            ),
        }
        responses = GaugeMetricFamily(
            "assay_llm_responses", "Responses over the last day", labels=labels
        )
        for group in report["groups"]:
            names = [str(group.get(key) or "") for key in labels]
            responses.add_metric(names, group["responses"])
            for (part, key), family in families.items():
                value = group[part][key]
                if value is not None:
                    family.add_metric(names, value)
        yield responses
        yield from families.values()


class AlertMetrics:
    """A Prometheus collector of the alert state: each open alert, and actions by status."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        """Open alerts (1 per rule and class) and the number of actions in each status."""
        active = GaugeMetricFamily(
            "assay_alert_open", "1 for each open alert, by rule and class", labels=["rule", "class"]
        )
        for alert in self.store.alerts.open_alerts():
            active.add_metric([alert.rule, alert.alert_class], 1)
        actions = GaugeMetricFamily(
            "assay_alert_actions", "Alert actions by status (failed: gave up)", labels=["status"]
        )
        for status, count in sorted(self.store.alerts.action_counts().items()):
            actions.add_metric([status], count)
        yield from (active, actions)


@router.get(
    "/metrics",
    summary="Prometheus metrics (public, no confidential values)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AuditMetrics(store_of(request)))
    settings = request.app.state.settings
    registry.register(
        DeliveryMetrics(store_of(request), request.app.state.metrics_cache, settings.llm_prices)
    )
    registry.register(AlertMetrics(store_of(request)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

"""``metrics``: a delivery (DORA) or ML life-cycle figure computed from the events in the
store the run is recorded in, so that a spec can require "change failure rate at most 0.15
over 28 days" and an organisation's delivery is audited like a model.

``{kind: metrics, metric: change_failure_rate, service: api, environment: production,
window: 28d}``. The window ends when the run collects. The value is traced with the number of
events read and their digest (docs/metrics.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from assay.catalog.metrics import load_prices
from assay.collectors.base import CollectContext, CollectionError, Parameters, Traced
from assay.collectors.confinement import Confinement
from assay.metrics.dora import DeliveryHistory
from assay.metrics.ml import ml_figures
from assay.metrics.windows import Window, parse_duration, window_of
from assay.services.llm_metrics import llm_report, people_report, product_report, report_value
from assay.store.events import events_digest, parse_body

__all__ = [
    "DELIVERY_FIGURES",
    "LLM_FIGURES",
    "ML_FIGURES",
    "PEOPLE_FIGURES",
    "PRODUCT_FIGURES",
    "MetricsCollector",
    "MetricsParameters",
]

# Each figure's place in the report: (group, key).
DELIVERY_FIGURES = {
    "deployments": ("deployment_frequency", "deployments"),
    "deployment_frequency": ("deployment_frequency", "per_week"),
    "deployment_days": ("deployment_frequency", "deployment_days"),
    "lead_time": ("lead_time_hours", "median"),
    "lead_time_p90": ("lead_time_hours", "p90"),
    "change_failure_rate": ("change_failure_rate", "value"),
    "recovery_time": ("recovery_time_hours", "median"),
    "rework_rate": ("rework_rate", "value"),
}
ML_FIGURES = {
    "model_age": ("model_age_days", "median"),
    "time_to_redeploy": ("time_to_redeploy_hours", "median"),
    "time_to_retrain": ("time_to_retrain_hours", "median"),
    "model_rollback_time": ("model_rollback_time_hours", "median"),
    "drift_alerts_per_week": ("drift_alerts", "per_model_per_week"),
    "data_freshness_lag": ("data_freshness_lag_hours", "median"),
    "retrain_frequency": ("retrain_frequency", "per_week"),
    "governance_coverage": ("governance_coverage", "value"),
    "explainability_coverage": ("explainability_coverage", "value"),
}
# LLM figures (of all the selected responses), product and people figures: their path.
LLM_FIGURES = {
    "llm_cost_per_response": "cost.per_response",
    "llm_cost_per_session": "cost.per_session",
    "llm_cost_per_1k_tokens": "cost.per_1k_tokens",
    "llm_output_tokens_per_response": "tokens_per_response.output",
    "llm_latency_p50": "latency_ms.p50",
    "llm_latency_p95": "latency_ms.p95",
    "llm_latency_per_output_token": "latency_ms.per_output_token",
    "llm_ttft_p95": "ttft_ms.p95",
    "llm_refusal_rate": "refusal_rate.value",
    "llm_hallucination_rate": "hallucination_rate.value",
    "llm_faithfulness_rate": "faithfulness_rate.value",
    "llm_safety_violation_rate": "safety_violation_rate.value",
    "llm_instruction_following_rate": "instruction_following_rate.value",
    "llm_downvote_rate": "downvote_rate.value",
}
PRODUCT_FIGURES = {
    "product_downvote_rate": "downvote_rate.value",
    "product_ai_adoption": "ai_adoption.value",
}
PEOPLE_FIGURES = {
    "people_raised_by_people": "raised_by_people.value",
    "people_detection_to_report_hours": "detection_to_report_hours.median",
}
Figure = Literal[
    "deployments",
    "deployment_frequency",
    "deployment_days",
    "lead_time",
    "lead_time_p90",
    "change_failure_rate",
    "recovery_time",
    "rework_rate",
    "model_age",
    "time_to_redeploy",
    "time_to_retrain",
    "model_rollback_time",
    "drift_alerts_per_week",
    "data_freshness_lag",
    "retrain_frequency",
    "governance_coverage",
    "explainability_coverage",
    "llm_cost_per_response",
    "llm_cost_per_session",
    "llm_cost_per_1k_tokens",
    "llm_output_tokens_per_response",
    "llm_latency_p50",
    "llm_latency_p95",
    "llm_latency_per_output_token",
    "llm_ttft_p95",
    "llm_refusal_rate",
    "llm_hallucination_rate",
    "llm_faithfulness_rate",
    "llm_safety_violation_rate",
    "llm_instruction_following_rate",
    "llm_downvote_rate",
    "product_downvote_rate",
    "product_ai_adoption",
    "people_raised_by_people",
    "people_detection_to_report_hours",
]


class MetricsParameters(Parameters):
    """``metric`` (a delivery or ML figure), the selection (``service``/``team`` for delivery,
    ``model`` for ML; all when absent), ``environment`` and the rolling ``window``."""

    metric: Figure
    service: str | None = Field(default=None, min_length=1, max_length=200)
    team: str | None = Field(default=None, min_length=1, max_length=200)
    model: str | None = Field(default=None, min_length=1, max_length=200)
    environment: str = Field(default="production", min_length=1, max_length=200)
    window: str = "28d"

    @field_validator("window")
    @classmethod
    def _duration(cls, text: str) -> str:
        parse_duration(text)  # ValueError saying what a duration looks like
        return text


class MetricsCollector:
    """Computes one figure from the events of the run's store."""

    kind: ClassVar[str] = "metrics"
    parameters: ClassVar[type[Parameters]] = MetricsParameters

    def collect(self, parameters: MetricsParameters, context: CollectContext) -> Any:
        """The figure over the window ending now; :class:`CollectionError` when there is
        nothing to compute it from."""
        if context.store is None:
            raise CollectionError("the metrics collector needs the store of the run")
        context.confined(self._own_target_problem(parameters, context))
        window = window_of(now=datetime.now(UTC), window=parse_duration(parameters.window))
        if parameters.metric not in DELIVERY_FIGURES and parameters.metric not in ML_FIGURES:
            return self._from_report(parameters, context, window)
        until = window.until.timestamp()
        delivery = parameters.metric in DELIVERY_FIGURES
        bodies = list(
            context.store.events.bodies(
                environment=parameters.environment if delivery else None,
                service=parameters.service if delivery else None,
                before=until,
            )
        )
        events = [parse_body(body) for body in bodies]
        if delivery:
            history = DeliveryHistory.build(
                events,
                environment=parameters.environment,
                service=parameters.service,
                team=parameters.team,
            )
            figures = history.figures(window)
            group, key = DELIVERY_FIGURES[parameters.metric]
        else:
            figures = ml_figures(
                events, window, environment=parameters.environment, model=parameters.model
            )
            group, key = ML_FIGURES[parameters.metric]
        value = figures[group][key]
        if value is None:
            raise CollectionError(
                f"no {parameters.metric.replace('_', ' ')} in the last {parameters.window}: "
                f"nothing to compute it from ({self.describe(parameters)})"
            )
        metadata = {
            "since": window.since.isoformat(),
            "until": window.until.isoformat(),
            "events": len(bodies),
            "events_digest": events_digest(bodies),
            "sample": {k: v for k, v in figures[group].items() if k != key},
        }
        return Traced(value, metadata)

    def _from_report(
        self, parameters: MetricsParameters, context: CollectContext, window: Window
    ) -> Traced:
        """An LLM, product or people figure, from the service's report over the window."""
        assert context.store is not None
        metric = parameters.metric
        report: dict[str, Any]
        if metric in LLM_FIGURES:
            report = llm_report(
                context.store,
                window,
                load_prices(),
                service=parameters.service,
                model=parameters.model,
            )
            path = LLM_FIGURES[metric]
        elif metric in PRODUCT_FIGURES:
            report = product_report(context.store, window, service=parameters.service)
            path = PRODUCT_FIGURES[metric]
        else:
            report = people_report(context.store, window, service=parameters.service)
            path = PEOPLE_FIGURES[metric]
        value = report_value(report, path)
        if value is None:
            raise CollectionError(
                f"no {metric.replace('_', ' ')} in the last {parameters.window}: nothing to "
                f"compute it from ({self.describe(parameters)})"
            )
        return Traced(
            value,
            {
                "since": window.since.isoformat(),
                "until": window.until.isoformat(),
                "events": report["events"]["count"],
                "events_digest": report["events"]["digest"],
            },
        )

    def _own_target_problem(
        self, parameters: MetricsParameters, context: CollectContext
    ) -> str | None:
        """A spec uploaded to the server reads the figures of its own target only (the service
        or model named as the run's target, ``NAME`` or ``NAME@VERSION``): an auditee must not
        read another service's figures through a spec of its own."""
        if context.confinement is None:
            return None
        own = (context.target or "").rpartition("@")[0] or context.target
        named = {parameters.service, parameters.model} - {None}
        if not named or named != {own}:
            return (
                f"an uploaded spec reads the figures of its own target only: give service or "
                f"model {own!r} (the run's target {context.target!r})"
            )
        return None

    def confinement_problem(
        self, parameters: MetricsParameters, confinement: Confinement, environ: Mapping[str, str]
    ) -> str | None:
        """Nothing to refuse: the figures come from the server's own events."""
        return None

    def describe(self, parameters: MetricsParameters) -> str:
        """``metrics:FIGURE`` with the selection and window."""
        who = parameters.service or parameters.model or "all"
        where = f"{parameters.environment} over {parameters.window}"
        return f"metrics:{parameters.metric} of {who} in {where}"

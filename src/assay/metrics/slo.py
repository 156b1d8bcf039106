"""Service-level objectives as data, their multi-window burn-rate alerts, the alert classes
P1-P4 of the AI-first framework, correlation rules and the actions each class takes.

- A *ratio* SLO counts good and bad events (a response judged unfaithful is bad, a down-vote is
  bad, …) and promises a share of good ones (``objective``) over ``window``. Its error budget
  is ``1 - objective``; the burn rate over a span is the bad share over that span divided by
  the budget. An alert needs the burn rate at or above ``factor`` over a long span *and* a
  short one (the SRE workbook's multi-window alerts): a short burst does not fire (the long
  span is not burning) and an alert stops soon after the cause does (the short one stops).
- A *threshold* SLO bounds a figure (cost per response, p95 latency, …) with ``max`` or
  ``min``; it fires when the figure breaks the bound over ``window`` and over ``short``.
- Classes (the framework's SLO classes): P1 and P2 for threats to availability and severe
  drift, P3 for a degraded user experience, P4 for minor deviations.
- A correlation rule fires at its own class when all of its signals (SLOs) are alerting and
  their alerts began within ``within`` of each other (the framework's faithfulness falling
  while down-votes rise).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from assay.metrics.windows import parse_duration

__all__ = [
    "CLASSES",
    "RATIO_INDICATORS",
    "BurnWindow",
    "Correlation",
    "Objective",
    "SloFile",
    "SloState",
    "burn_state",
    "correlated",
    "slo_json_schema",
    "threshold_state",
]

CLASSES = ("P1", "P2", "P3", "P4")
AlertClass = Literal["P1", "P2", "P3", "P4"]
# The ratio indicators: what a bad event is (docs/metrics.md, "SLOs and alerts").
RATIO_INDICATORS = {
    "llm.faithfulness": "a response judged unfaithful (hallucinated)",
    "llm.refusal": "a response judged a refusal",
    "llm.safety": "a response judged unsafe",
    "llm.instruction_following": "a response judged not to follow its instructions",
    "llm.errors": "a response that ended in an error",
    "llm.latency": "a response slower than latency_ms",
    "product.downvotes": "a down-vote (of all votes)",
    "audit.runs": "an audit run that did not pass",
    "audit.measurement": "an audit run in which the named measurement did not pass",
}
# The threshold indicators: a figure of a family's report, by its path.
_THRESHOLD = re.compile(r"^(llm|product|people|dora|ml)\.[a-z0-9_]+(\.[a-z0-9_]+)*$")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
Name = Annotated[str, Field(pattern=_NAME)]


def _duration(text: str) -> str:
    parse_duration(text)  # ValueError saying what a duration looks like
    return text


Duration = Annotated[
    str, Field(max_length=16, description="30m, 6h, 28d, 2w"), AfterValidator(_duration)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class BurnWindow(_Strict):
    """Fire when the burn rate is at least ``factor`` over ``long`` and over ``short``."""

    long: Duration
    short: Duration
    factor: float = Field(gt=0, le=10_000, allow_inf_nan=False)

    @model_validator(mode="after")
    def _short_is_shorter(self) -> BurnWindow:
        if parse_duration(self.short) >= parse_duration(self.long):
            raise ValueError(f"short ({self.short}) must be shorter than long ({self.long})")
        return self


# The SRE workbook's paging pair for a 30-day objective: 2% of the budget in an hour, 5% in six.
DEFAULT_BURN = (
    BurnWindow(long="1h", short="5m", factor=14.4),
    BurnWindow(long="6h", short="30m", factor=6),
)


class Selector(_Strict):
    """Which events an SLO counts (all when empty)."""

    service: Name | None = None
    environment: Name | None = None
    model: Name | None = None
    version: Name | None = None
    prompt_hash: Name | None = None
    retrieval_config: Name | None = None


class Bound(_Strict):
    """A threshold: the figure must stay at most ``max`` or at least ``min``."""

    max: float | None = Field(default=None, allow_inf_nan=False)
    min: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one(self) -> Bound:
        if (self.max is None) == (self.min is None):
            raise ValueError("give exactly one of max or min")
        return self


class Objective(_Strict):
    """One SLO: an indicator over the events its selector picks, an objective (a ratio
    indicator) or a threshold (a figure), a window, an alert class and the burn-rate windows
    that make it alert."""

    name: Name
    description: str | None = Field(default=None, max_length=2000)
    indicator: str = Field(
        max_length=200,
        description="A ratio indicator (llm.faithfulness, product.downvotes, …) or a figure "
        "path for a threshold (llm.cost.per_response, llm.latency_ms.p95, …).",
    )
    selector: Selector = Field(default_factory=Selector)
    objective: float | None = Field(default=None, gt=0, lt=1, allow_inf_nan=False)
    threshold: Bound | None = None
    window: Duration = "28d"
    short: Duration | None = Field(
        default=None, description="Threshold SLOs: the recent span that must break it too."
    )
    alert_class: AlertClass = Field(alias="class")
    burn_rates: list[BurnWindow] = Field(default_factory=lambda: list(DEFAULT_BURN), min_length=1)
    min_events: int = Field(default=10, ge=1, le=10**9)
    latency_ms: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    spec: Name | None = Field(default=None, description="audit.measurement: the spec's id.")
    measurement: Name | None = Field(
        default=None, description="audit.measurement: the measurement's id in the spec."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Objective:
        if self.indicator in RATIO_INDICATORS:
            if self.objective is None or self.threshold is not None:
                raise ValueError(f"{self.indicator} is a ratio indicator: give objective (0-1)")
            if self.indicator == "llm.latency" and self.latency_ms is None:
                raise ValueError("llm.latency needs latency_ms (the slowest good response)")
            if self.indicator == "audit.measurement" and not (self.spec and self.measurement):
                raise ValueError("audit.measurement needs spec and measurement (their ids)")
        elif _THRESHOLD.match(self.indicator):
            if self.threshold is None or self.objective is not None:
                raise ValueError(f"{self.indicator} is a figure: give threshold (max or min)")
        else:
            known = ", ".join(RATIO_INDICATORS)
            raise ValueError(
                f"unknown indicator {self.indicator!r}; expected one of {known}, or a figure "
                "path such as llm.cost.per_response"
            )
        return self

    @property
    def is_ratio(self) -> bool:
        """Whether the SLO counts good and bad events (else it bounds a figure)."""
        return self.indicator in RATIO_INDICATORS

    @property
    def lookback(self) -> timedelta:
        """The longest span the SLO's alerts look at."""
        if not self.is_ratio:
            return parse_duration(self.window)
        return max(parse_duration(pair.long) for pair in self.burn_rates)


class Correlation(_Strict):
    """Fire at ``class`` when every signal is alerting, their alerts begun within ``within``."""

    name: Name
    description: str | None = Field(default=None, max_length=2000)
    signals: list[Name] = Field(min_length=2, max_length=10)
    within: Duration = "1h"
    alert_class: AlertClass = Field(alias="class")


class Retry(_Strict):
    """How a failed action is tried again: up to ``attempts`` in all, waiting ``backoff``,
    then twice as long each time, at most ``max_backoff``."""

    attempts: int = Field(default=5, ge=1, le=50)
    backoff: Duration = "30s"
    max_backoff: Duration = "1h"

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the ``attempt``-th failure (1-based)."""
        first = parse_duration(self.backoff).total_seconds()
        ceiling = parse_duration(self.max_backoff).total_seconds()
        return float(min(ceiling, first * 2 ** (attempt - 1)))


class WebhookAction(_Strict):
    """POST the alert as JSON, signed with HMAC-SHA256 (``X-Assay-Signature-256``) when
    ``secret_env`` names a variable holding the secret."""

    name: Name
    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://", max_length=2000)
    secret_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,99}$")
    timeout: float = Field(default=10, gt=0, le=300)


class AlertmanagerAction(_Strict):
    """Send the alert to an Alertmanager (``POST /api/v2/alerts``); resolved when it ends."""

    name: Name
    type: Literal["alertmanager"]
    url: str = Field(pattern=r"^https?://", max_length=2000)
    timeout: float = Field(default=10, gt=0, le=300)


class RollbackAction(_Strict):
    """Move an MLflow alias back to the newest earlier version whose last audit run passed
    (of ``spec`` when given)."""

    name: Name
    type: Literal["mlflow_rollback"]
    model: Name
    alias: Name = "champion"
    spec: Name | None = None
    tracking_uri: str | None = Field(default=None, max_length=2000)
    environment: Name = "production"


class CommandAction(_Strict):
    """Run a command the administrator configured (a retraining job); the alert is its
    standard input as JSON; exit status 0 is success."""

    name: Name
    type: Literal["command"]
    argv: list[str] = Field(min_length=1, max_length=100)
    timeout: float = Field(default=300, gt=0, le=86_400)


class ReviewAction(_Strict):
    """Open a blameless review record for the alert in the ledger."""

    name: Name
    type: Literal["review"]
    questions: list[str] = Field(
        default_factory=lambda: [
            "What happened, in order, with the evidence for each step?",
            "Which signal saw it first, and how could it have been seen earlier?",
            "What in the system (not in a person) let it happen?",
            "What changes in telemetry, the experiment configuration, the OKRs or backlog?",
        ],
        max_length=50,
    )


Action = Annotated[
    WebhookAction | AlertmanagerAction | RollbackAction | CommandAction | ReviewAction,
    Field(discriminator="type"),
]


class SloFile(_Strict):
    """A file of SLOs, correlation rules, actions and the actions each class takes."""

    slos: list[Objective] = Field(min_length=1, max_length=1000)
    correlations: list[Correlation] = Field(default_factory=list, max_length=1000)
    actions: list[Action] = Field(default_factory=list, max_length=1000)
    routes: dict[AlertClass, list[Name]] = Field(default_factory=dict)
    retry: Retry = Field(default_factory=Retry)

    @model_validator(mode="after")
    def _references(self) -> SloFile:
        names = [slo.name for slo in self.slos] + [rule.name for rule in self.correlations]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"names must be unique among SLOs and correlations: {repeated}")
        slo_names = {slo.name for slo in self.slos}
        for rule in self.correlations:
            missing = [s for s in rule.signals if s not in slo_names]
            if missing:
                raise ValueError(f"correlation {rule.name} names no SLO {missing}")
        actions = [action.name for action in self.actions]
        if len(set(actions)) != len(actions):
            raise ValueError("action names must be unique")
        for alert_class, route in self.routes.items():
            missing = [a for a in route if a not in actions]
            if missing:
                raise ValueError(f"routes.{alert_class} names no action {missing}")
        return self

    def action(self, name: str) -> Any:
        """The action called ``name``."""
        return next(action for action in self.actions if action.name == name)


def slo_json_schema() -> dict[str, Any]:
    """The JSON Schema of an SLO file (published as docs/schemas/slo.schema.json)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://assay.dev/schemas/slo.schema.json",
        "title": "assay SLO file",
        **SloFile.model_json_schema(by_alias=True),
    }


@dataclass(frozen=True)
class SloState:
    """An SLO at one moment: whether it alerts, and the figures of each span it looked at."""

    name: str
    firing: bool
    spans: list[dict[str, Any]]
    events: int


def burn_state(slo: Objective, times: np.ndarray, bad: np.ndarray, now: float) -> SloState:
    """The burn rates of a ratio SLO at ``now`` from its events' times (seconds) and whether
    each was bad; it fires when some pair's long and short spans both burn at or above the
    pair's factor and the long span holds at least ``min_events`` events."""
    assert slo.objective is not None
    budget = 1.0 - slo.objective
    spans = []
    firing = False
    for pair in slo.burn_rates:
        figures = {}
        for which in ("long", "short"):
            length = parse_duration(getattr(pair, which)).total_seconds()
            inside = (times >= now - length) & (times < now)
            count = int(inside.sum())
            failed = int(bad[inside].sum())
            ratio = failed / count if count else None
            figures[which] = {
                "span": getattr(pair, which),
                "events": count,
                "bad": failed,
                "error_ratio": ratio,
                "burn_rate": ratio / budget if ratio is not None else None,
            }
        long, short = figures["long"], figures["short"]
        pair_fires = (
            long["events"] >= slo.min_events
            and long["burn_rate"] is not None
            and short["burn_rate"] is not None
            and long["burn_rate"] >= pair.factor
            and short["burn_rate"] >= pair.factor
        )
        firing = firing or pair_fires
        spans.append({**figures, "factor": pair.factor, "firing": pair_fires})
    return SloState(slo.name, firing, spans, int((times < now).sum()))


def threshold_state(slo: Objective, values: Mapping[str, float | None], events: int) -> SloState:
    """A threshold SLO from its figure over ``window`` and over ``short`` (``values`` keyed
    by those spans): it fires when both break the bound (a span without the figure does not)."""
    assert slo.threshold is not None
    bound = slo.threshold

    def breaks(value: float | None) -> bool:
        if value is None:
            return False
        return value > bound.max if bound.max is not None else value < bound.min  # type: ignore[operator]

    spans = [
        {"span": span, "value": value, "breaks": breaks(value)} for span, value in values.items()
    ]
    return SloState(slo.name, all(span["breaks"] for span in spans), spans, events)


def correlated(rule: Correlation, began: Mapping[str, float]) -> bool:
    """Whether every signal of ``rule`` is alerting (``began`` maps each alerting SLO to when
    its alert began, in seconds) and they all began within ``within`` of each other."""
    moments: Sequence[float] = [began[s] for s in rule.signals if s in began]
    if len(moments) < len(rule.signals):
        return False
    return max(moments) - min(moments) <= parse_duration(rule.within).total_seconds()

"""The canonical event: what every adapter (CDEvents, GitHub, GitLab, MLflow, git history,
assay's own audits) maps into, and what the delivery and ML life-cycle metrics read.

An event is identified by ``(source, id)``: a redelivery with the same pair is the same event.
Times are timezone-aware (RFC 3339); they are kept in UTC. The JSON Schema in
``docs/schemas/event.schema.json`` is generated from these models (a test keeps it current).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, NotRequired, Required

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

__all__ = [
    "CLOCK_SKEW",
    "DELIVERY_TYPES",
    "EVENT_TYPES",
    "LLM_TYPES",
    "ML_TYPES",
    "PEOPLE_TYPES",
    "PRODUCT_TYPES",
    "Event",
    "EventProblem",
    "check_event",
    "epoch_of",
    "event_json_schema",
    "parse_event",
]

# How far in the future an event's time may lie before it is refused: senders' clocks differ.
CLOCK_SKEW = timedelta(minutes=5)
_Name = Annotated[str, Field(min_length=1, max_length=200)]
_Text = Annotated[str, Field(max_length=2000)]
# The fields stored as columns and shown as labels must be printable (checked after the
# structure: str.isprintable is much cheaper than a pattern on every name).
_PRINTABLE = (
    "id",
    "source",
    "service",
    "environment",
    "model",
    "version",
    "team",
    "response_id",
    "prompt_hash",
    "retrieval_config",
    "evaluation",
    "label",
    "feature",
    "user",
)
# Checked and brought to UTC after the structure (datetime.fromisoformat is several times
# faster than validating a datetime field, and ingestion reads a million events).
_Time = Annotated[
    str,
    Field(
        max_length=64,
        description="RFC 3339 time with an offset (kept in UTC)",
        json_schema_extra={"format": "date-time"},
    ),
]
_FORBID = ConfigDict(extra="forbid")


@with_config(_FORBID)
class _Base(TypedDict):
    id: Required[Annotated[_Name, Field(description="Unique within its source.")]]
    source: NotRequired[
        Annotated[_Name, Field(description="Who sent it (default 'import'); with id, its key.")]
    ]
    time: Required[Annotated[_Time, Field(description="When it happened.")]]


@with_config(_FORBID)
class Change(TypedDict):
    """A change (commit) a deployment carries; ``time`` is its commit time (unknown times
    are reported, not guessed)."""

    id: Required[_Name]
    time: NotRequired[_Time | None]


@with_config(_FORBID)
class Deployment(_Base, total=False):
    """A deployment of a service to an environment; ``planned`` is false for rework."""

    type: Required[Literal["deployment"]]
    service: Required[_Name]
    environment: Required[_Name]
    outcome: Required[Literal["success", "failure"]]
    changes: Annotated[list[Change], Field(max_length=100_000)]
    planned: bool
    team: _Name | None
    version: _Name | None
    artifact: _Text | None


@with_config(_FORBID)
class Incident(_Base, total=False):
    """A failure in production; ``incident`` names it across events (default: the id),
    ``deployment`` is the deployment that caused it; ``detected`` is when it was first noticed
    (by a person or a detector) and ``reported`` when it was formally reported."""

    type: Required[Literal["incident"]]
    service: Required[_Name]
    environment: Required[_Name]
    incident: _Name | None
    resolved: _Time | None
    deployment: _Name | None
    severity: _Name | None
    reported_by: Literal["person", "detector"] | None
    detected: _Time | None
    reported: _Time | None


@with_config(_FORBID)
class IncidentResolved(_Base, total=False):
    """The resolution of an incident reported earlier (by its ``incident`` name)."""

    type: Required[Literal["incident_resolved"]]
    incident: Required[_Name]
    service: _Name | None
    environment: _Name | None


@with_config(_FORBID)
class Rollback(_Base, total=False):
    """A deployment rolled back (``to`` the version restored)."""

    type: Required[Literal["rollback"]]
    service: Required[_Name]
    environment: Required[_Name]
    deployment: Required[_Name]
    to: _Name | None


@with_config(_FORBID)
class ChangeMade(_Base, total=False):
    """A change merged or pushed (its id is the commit), at its commit time."""

    type: Required[Literal["change"]]
    service: _Name | None


@with_config(_FORBID)
class Push(_Base, total=False):
    """Commits pushed together; a deployment of ``head`` carries all of them."""

    type: Required[Literal["push"]]
    service: _Name | None
    head: Required[_Name]
    commits: Annotated[list[Change], Field(max_length=100_000)]


@with_config(_FORBID)
class ModelRegistered(_Base, total=False):
    """A model version registered; ``data_newest`` is the newest timestamp in its training
    data; ``model_card``/``explanation`` say whether it carries them."""

    type: Required[Literal["model_registered"]]
    model: Required[_Name]
    version: Required[_Name]
    run: _Name | None
    data_newest: _Time | None
    model_card: bool
    explanation: bool


@with_config(_FORBID)
class ModelDeployed(_Base, total=False):
    """A model version deployed to an environment (or an alias moved onto it); ``rollback``
    when it replaced a newer version."""

    type: Required[Literal["model_deployed"]]
    model: Required[_Name]
    version: Required[_Name]
    environment: Required[_Name]
    alias: _Name | None
    rollback: bool
    service: _Name | None


@with_config(_FORBID)
class TrainingFinished(_Base, total=False):
    """A training run finished; ``data_newest`` is the newest timestamp in its data."""

    type: Required[Literal["training_finished"]]
    run: Required[_Name]
    model: _Name | None
    data_newest: _Time | None
    outcome: Literal["success", "failure"]


@with_config(_FORBID)
class DriftAlert(_Base, total=False):
    """Drift detected for a model (a probe or an audit measurement that failed)."""

    type: Required[Literal["drift_alert"]]
    model: Required[_Name]
    version: _Name | None
    environment: _Name | None
    measurement: _Name | None


@with_config(_FORBID)
class RetrainTriggered(_Base, total=False):
    """A retraining started for a model."""

    type: Required[Literal["retrain_triggered"]]
    model: Required[_Name]
    reason: _Text | None


@with_config(_FORBID)
class AuditOutcome(_Base, total=False):
    """An assay audit run of a model version: ``pass`` or ``fail``."""

    type: Required[Literal["audit"]]
    model: Required[_Name]
    version: Required[_Name]
    outcome: Required[Literal["pass", "fail"]]
    spec: _Name | None
    run_id: _Name | None


@with_config(_FORBID)
class PipelineRun(_Base, total=False):
    """A pipeline run finished (CDEvents ``pipelinerun.finished``)."""

    type: Required[Literal["pipeline_run"]]
    pipeline: Required[_Name]
    outcome: Required[Literal["success", "failure", "error"]]
    url: _Text | None


_Count = Annotated[int, Field(ge=0, le=10**12)]
_Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_Ids = Annotated[list[_Name], Field(max_length=10_000)]


@with_config(_FORBID)
class LlmResponse(_Base, total=False):
    """One response of a generative model (an OpenTelemetry GenAI span): what produced it
    (``model``, ``version``, ``prompt_hash``, ``retrieval_config``, the chunks it cited in
    ``retrieval_ids``), what it used (tokens) and how long it took (milliseconds).
    ``response_id`` is what evaluations and feedback name."""

    type: Required[Literal["llm_response"]]
    response_id: Required[_Name]
    model: Required[_Name]
    service: _Name | None
    environment: _Name | None
    request_model: _Name | None
    version: _Name | None
    prompt_hash: _Name | None
    retrieval_config: _Name | None
    retrieval_ids: _Ids
    conversation: _Name | None
    operation: _Name | None
    input_tokens: _Count | None
    output_tokens: _Count | None
    duration_ms: _Seconds | None
    ttft_ms: _Seconds | None
    finish_reasons: _Ids
    error: _Text | None
    user: _Name | None
    trace: _Name | None


@with_config(_FORBID)
class Evaluation(_Base, total=False):
    """The result of evaluating one response (``gen_ai.evaluation.result``): ``evaluation``
    names what was judged (faithfulness, refusal, safety, instruction_following, …), with a
    ``label``, a ``score`` or both, by ``evaluator``. With a ``service``, it counts only for a
    response of that service (a sender scoped to one service cannot judge another's)."""

    type: Required[Literal["evaluation"]]
    response_id: Required[_Name]
    evaluation: Required[_Name]
    label: _Name | None
    score: Annotated[float, Field(allow_inf_nan=False)] | None
    evaluator: _Name | None
    explanation: _Text | None
    service: _Name | None


@with_config(_FORBID)
class Feedback(_Base, total=False):
    """A user's vote on a response (thumbs ``up`` or ``down``)."""

    type: Required[Literal["feedback"]]
    vote: Required[Literal["up", "down"]]
    response_id: _Name | None
    user: _Name | None
    service: _Name | None
    model: _Name | None


@with_config(_FORBID)
class FeatureUsed(_Base, total=False):
    """A user used a product feature; ``ai`` when the feature is AI-driven."""

    type: Required[Literal["feature_used"]]
    feature: Required[_Name]
    user: Required[_Name]
    ai: bool
    service: _Name | None


@with_config(_FORBID)
class Unmapped(_Base, total=False):
    """An event whose kind assay has no meaning for: kept and reported, never dropped;
    ``original`` is its type where it came from, ``payload`` its other fields."""

    type: Required[Literal["unmapped"]]
    original: Required[_Text]
    reason: Required[_Text]
    service: _Name | None
    environment: _Name | None
    payload: dict[str, Any] | None


Event = Annotated[
    Deployment
    | Incident
    | IncidentResolved
    | Rollback
    | ChangeMade
    | Push
    | ModelRegistered
    | ModelDeployed
    | TrainingFinished
    | DriftAlert
    | RetrainTriggered
    | AuditOutcome
    | PipelineRun
    | LlmResponse
    | Evaluation
    | Feedback
    | FeatureUsed
    | Unmapped,
    Field(discriminator="type"),
]
EVENT_TYPES = (
    "deployment",
    "incident",
    "incident_resolved",
    "rollback",
    "change",
    "push",
    "model_registered",
    "model_deployed",
    "training_finished",
    "drift_alert",
    "retrain_triggered",
    "audit",
    "pipeline_run",
    "llm_response",
    "evaluation",
    "feedback",
    "feature_used",
    "unmapped",
)
# The types each family of metrics reads.
DELIVERY_TYPES = ("deployment", "incident", "incident_resolved", "rollback", "change", "push")
ML_TYPES = (
    "model_registered",
    "model_deployed",
    "training_finished",
    "drift_alert",
    "retrain_triggered",
    "audit",
)
# The types the LLM, product and people metrics read.
LLM_TYPES = ("llm_response", "evaluation", "feedback")
PRODUCT_TYPES = ("feedback", "feature_used", "llm_response")
PEOPLE_TYPES = ("incident",)
# The defaults each type's fields take when an event leaves them out.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "deployment": {"changes": [], "planned": True},
    "push": {"commits": []},
    "model_registered": {"model_card": False, "explanation": False},
    "model_deployed": {"rollback": False},
    "training_finished": {"outcome": "success"},
    "feature_used": {"ai": False},
}
_TIMES = ("time", "resolved", "data_newest", "detected", "reported")
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)


class EventProblem(ValueError):
    """An event refused: ``where`` is the field (``changes[2].time``), ``problem`` the reason."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}" if where else problem)


def epoch_of(text: str) -> float:
    """Seconds since the epoch of a canonical (RFC 3339, UTC) time."""
    return datetime.fromisoformat(text).timestamp()


def _utc(text: str, where: str) -> str:
    """A time with an offset, in UTC as canonical events write it (``…Z``, whole seconds or
    six decimals)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise EventProblem(where, f"{text!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise EventProblem(where, f"{text!r} has no timezone offset (add Z or +01:00)")
    if text[10] == "T":  # most senders write UTC, many already in this form
        if text[-1] == "Z" and len(text) in (20, 27):
            return text
        if text.endswith("+00:00") and len(text) in (25, 32):
            return text[:-6] + "Z"
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_event(data: Any, *, now: datetime) -> dict[str, Any]:
    """The canonical event ``data`` describes, checked and normalized (times in UTC, defaults
    filled in, nulls left out): :class:`EventProblem` when a field is missing or wrong, a time
    lies in the future (beyond :data:`CLOCK_SKEW` after ``now``), a change is later than its
    deployment or an incident was resolved before it happened. An event of a type assay does
    not know is kept as ``unmapped`` (its type in ``original``, its other fields in
    ``payload``)."""
    if isinstance(data, dict) and "type" not in data and "evaluation" in data:
        data = _evaluation_line(data, now)
    if isinstance(data, dict) and isinstance(data.get("type"), str):
        if data["type"] not in EVENT_TYPES:
            data = _unmapped(data)
    elif isinstance(data, dict):
        raise EventProblem("type", f"expected one of {', '.join(EVENT_TYPES)}")
    try:
        event: dict[str, Any] = _ADAPTER.validate_python(data)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        location = [str(part) for part in first["loc"]]
        if location and location[0] in EVENT_TYPES:
            location = location[1:]  # the union's branch name adds nothing for the user
        where = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in location).lstrip(".")
        raise EventProblem(where, first["msg"].removeprefix("Value error, ")) from None
    return check_event(_normalized(event), now=now)


def _normalized(event: dict[str, Any]) -> dict[str, Any]:
    out = {"source": "import", **_DEFAULTS.get(event["type"], {})}
    out.update(event)
    if None in out.values():
        out = {key: value for key, value in out.items() if value is not None}
    for key in _PRINTABLE:
        value = out.get(key)
        if value is not None and not value.isprintable():
            raise EventProblem(key, "holds control characters; expected printable text")
    for key in _TIMES:
        if key in out:
            out[key] = _utc(out[key], key)
    for key in ("changes", "commits"):
        for index, change in enumerate(out.get(key, ())):
            written = change.get("time")
            if written is None:
                change.pop("time", None)
            else:
                change["time"] = _utc(written, f"{key}[{index}].time")
    return out


def _evaluation_line(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An evaluation in assay's short JSON-lines form (``response_id``, ``evaluation``,
    ``label``/``score``, ``evaluator``): its type is implied, its id is the response, the
    evaluation and the evaluator (the same judgement sent twice is kept once) and its time,
    when it gives none, is when it was received."""
    out = {"type": "evaluation", **data}
    if "id" not in out and all(isinstance(out.get(k), str) for k in ("response_id", "evaluation")):
        evaluator = out.get("evaluator")
        out["id"] = "/".join(
            (out["response_id"], out["evaluation"], evaluator if isinstance(evaluator, str) else "")
        )
    out.setdefault("time", now.isoformat())
    return out


def _unmapped(data: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {k: data[k] for k in ("id", "source", "time") if k in data}
    rest = {key: value for key, value in data.items() if key not in kept and key != "type"}
    return {
        **kept,
        "type": "unmapped",
        "original": data["type"],
        "reason": "an event type assay does not know",
        "payload": rest or None,
    }


def check_event(event: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """``event`` (normalized) when its times are possible at ``now``; :class:`EventProblem`
    otherwise."""
    latest = now + CLOCK_SKEW
    at = datetime.fromisoformat(event["time"])
    if at > latest:
        raise EventProblem("time", f"{at.isoformat()} is in the future (now is {now.isoformat()})")
    resolved = event.get("resolved")
    if resolved is not None:
        when = datetime.fromisoformat(resolved)
        if when > latest:
            raise EventProblem("resolved", f"{resolved} is in the future")
        if when < at:
            raise EventProblem("resolved", "resolved is earlier than the incident's time")
    for index, change in enumerate(event.get("changes", ())):
        if "time" in change and datetime.fromisoformat(change["time"]) > at:
            raise EventProblem(
                "",
                f"changes[{index}] ({change['id']}) has time {change['time']}, later than the "
                f"deployment ({event['time']}): a change is deployed after it is committed",
            )
    return event


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema of a canonical event (published as docs/schemas/event.schema.json)."""
    schema = _ADAPTER.json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://assay.dev/schemas/event.schema.json",
        "title": "assay canonical event",
        "description": "One event of delivery or of the ML life cycle, as every adapter maps it.",
        **schema,
    }

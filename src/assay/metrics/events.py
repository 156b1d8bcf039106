"""The canonical event: what every adapter (CDEvents, GitHub, GitLab, MLflow, git history,
assay's own audits) maps into, and what the delivery and ML life-cycle metrics read.

An event is identified by ``(source, id)``: a redelivery with the same pair is the same event.
Times are timezone-aware (RFC 3339); they are kept in UTC. The JSON Schema in
``docs/schemas/event.schema.json`` is generated from these models (a test keeps it current).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

__all__ = [
    "CLOCK_SKEW",
    "EVENT_TYPES",
    "Change",
    "Event",
    "EventProblem",
    "check_event",
    "event_json_schema",
    "parse_event",
]

# How far in the future an event's time may lie before it is refused: senders' clocks differ.
CLOCK_SKEW = timedelta(minutes=5)
_Name = Annotated[str, Field(min_length=1, max_length=200)]
_Text = Annotated[str, Field(max_length=2000)]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: _Name = Field(description="Unique within its source; (source, id) deduplicates.")
    source: _Name = Field(
        default="import", description="Who sent it: an adapter's name, a URI, or 'import'."
    )
    time: AwareDatetime = Field(description="When it happened (RFC 3339 with an offset).")

    @field_validator("time", mode="after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


class Change(BaseModel):
    """A change (commit) a deployment carries; ``time`` is its commit time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: _Name
    time: AwareDatetime | None = Field(
        default=None, description="Commit time; unknown times are reported, not guessed."
    )

    @field_validator("time", mode="after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)


class Deployment(_Base):
    """A deployment of a service to an environment."""

    type: Literal["deployment"]
    service: _Name
    environment: _Name
    outcome: Literal["success", "failure"]
    changes: list[Change] = Field(default_factory=list, max_length=100_000)
    planned: bool = Field(default=True, description="false for unplanned work (rework).")
    team: _Name | None = None
    version: _Name | None = None
    artifact: _Text | None = None

    @model_validator(mode="after")
    def _changes_before(self) -> Deployment:
        for index, change in enumerate(self.changes):
            if change.time is not None and change.time > self.time:
                raise ValueError(
                    f"changes[{index}] ({change.id}) has time {change.time.isoformat()}, later "
                    f"than the deployment ({self.time.isoformat()}): a change is deployed after "
                    "it is committed"
                )
        return self


class Incident(_Base):
    """A failure in production. ``incident`` names it across events (detected, resolved);
    it defaults to the event's id."""

    type: Literal["incident"]
    service: _Name
    environment: _Name
    incident: _Name | None = None
    resolved: AwareDatetime | None = None
    deployment: _Name | None = Field(default=None, description="The deployment that caused it.")
    severity: _Name | None = None
    reported_by: Literal["person", "detector"] | None = None

    @model_validator(mode="after")
    def _resolved_after(self) -> Incident:
        if self.resolved is not None and self.resolved < self.time:
            raise ValueError("resolved is earlier than the incident's time")
        return self


class IncidentResolved(_Base):
    """The resolution of an incident reported earlier (by its ``incident`` name)."""

    type: Literal["incident_resolved"]
    incident: _Name
    service: _Name | None = None
    environment: _Name | None = None


class Rollback(_Base):
    """A deployment rolled back (``to`` the version restored)."""

    type: Literal["rollback"]
    service: _Name
    environment: _Name
    deployment: _Name
    to: _Name | None = None


class ChangeMade(_Base):
    """A change merged or pushed, with its commit time: fills in commit times that a deployment
    lists without (GitHub and GitLab deployments name only a sha)."""

    type: Literal["change"]
    service: _Name | None = None


class Push(_Base):
    """Commits pushed together; a deployment of ``head`` carries all of them."""

    type: Literal["push"]
    service: _Name | None = None
    head: _Name
    commits: list[Change] = Field(default_factory=list, max_length=100_000)


class ModelRegistered(_Base):
    """A model version registered; ``data_newest`` is the newest timestamp in its training
    data, ``model_card``/``explanation`` say whether it carries them."""

    type: Literal["model_registered"]
    model: _Name
    version: _Name
    run: _Name | None = None
    data_newest: AwareDatetime | None = None
    model_card: bool = False
    explanation: bool = False


class ModelDeployed(_Base):
    """A model version deployed to an environment (or an alias moved onto it);
    ``rollback`` when it replaced a newer version."""

    type: Literal["model_deployed"]
    model: _Name
    version: _Name
    environment: _Name
    alias: _Name | None = None
    rollback: bool = False
    service: _Name | None = None


class TrainingFinished(_Base):
    """A training run finished; ``data_newest`` is the newest timestamp in its data."""

    type: Literal["training_finished"]
    run: _Name
    model: _Name | None = None
    data_newest: AwareDatetime | None = None
    outcome: Literal["success", "failure"] = "success"


class DriftAlert(_Base):
    """Drift detected for a model (a probe or an audit measurement that failed)."""

    type: Literal["drift_alert"]
    model: _Name
    version: _Name | None = None
    environment: _Name | None = None
    measurement: _Name | None = None


class RetrainTriggered(_Base):
    """A retraining started for a model."""

    type: Literal["retrain_triggered"]
    model: _Name
    reason: _Text | None = None


class AuditOutcome(_Base):
    """An assay audit run of a model version: ``pass`` or ``fail``."""

    type: Literal["audit"]
    model: _Name
    version: _Name
    outcome: Literal["pass", "fail"]
    spec: _Name | None = None
    run_id: _Name | None = None


class PipelineRun(_Base):
    """A pipeline run finished (CDEvents ``pipelinerun.finished``)."""

    type: Literal["pipeline_run"]
    pipeline: _Name
    outcome: Literal["success", "failure", "error"]
    url: _Text | None = None


class Unmapped(_Base):
    """An event whose kind assay has no meaning for: kept and reported, never dropped."""

    type: Literal["unmapped"]
    original: _Text = Field(description="The event's type where it came from.")
    reason: _Text
    service: _Name | None = None
    environment: _Name | None = None
    payload: dict[str, Any] | None = Field(
        default=None, description="The fields it came with, kept as they were."
    )


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
    "unmapped",
)
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)


class EventProblem(ValueError):
    """An event refused: ``where`` is the field (``changes[2].time``), ``problem`` the reason."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}" if where else problem)


def parse_event(data: Any, *, now: datetime) -> Any:
    """The canonical event ``data`` describes, checked: :class:`EventProblem` when a field is
    missing or wrong, the time lies in the future (beyond :data:`CLOCK_SKEW` after ``now``) or
    a change is later than its deployment. An event of a type assay does not know is kept as
    ``unmapped`` (its type in ``original``, its other fields in ``payload``)."""
    if isinstance(data, dict) and isinstance(data.get("type"), str):
        if data["type"] not in EVENT_TYPES:
            data = _unmapped(data)
    elif isinstance(data, dict):
        raise EventProblem("type", f"expected one of {', '.join(EVENT_TYPES)}")
    try:
        event = _ADAPTER.validate_python(data)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        location = [str(part) for part in first["loc"]]
        if location and location[0] in EVENT_TYPES:
            location = location[1:]  # the union's branch name adds nothing for the user
        where = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in location).lstrip(".")
        raise EventProblem(where, first["msg"].removeprefix("Value error, ")) from None
    return check_event(event, now=now)


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


def check_event(event: Any, *, now: datetime) -> Any:
    """``event`` when its times are possible at ``now``; :class:`EventProblem` otherwise."""
    latest = now + CLOCK_SKEW
    if event.time > latest:
        raise EventProblem(
            "time", f"{event.time.isoformat()} is in the future (now is {now.isoformat()})"
        )
    resolved = getattr(event, "resolved", None)
    if resolved is not None and resolved > latest:
        raise EventProblem("resolved", f"{resolved.isoformat()} is in the future")
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

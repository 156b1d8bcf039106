"""CDEvents (over CloudEvents, binary or structured HTTP mode) as canonical events.

CDEvents v0.4: the CloudEvent's ``data`` is the CDEvent ``{"context", "subject", "customData"}``;
the type is ``dev.cdevents.<subject>.<predicate>.<version>``. What the specification has no
field for (the changes a deployment carries, whether it was planned, the deployment an incident
or rollback belongs to) may be given in ``customData`` under the canonical names
(``changes``, ``planned``, ``team``, ``version``, ``deployment``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CDEVENT_PREFIX", "cloudevent_from_binary", "is_cdevent", "map_cdevent"]

CDEVENT_PREFIX = "dev.cdevents."
_TYPE = re.compile(r"^dev\.cdevents\.([a-z]+)\.([a-z]+)\.[0-9]+\.[0-9]+\.[0-9]+(?:-[\w.]+)?$")
_BINARY_ATTRIBUTES = ("id", "source", "type", "specversion", "time", "subject")


def is_cdevent(event_type: str) -> bool:
    """Whether a CloudEvent type is a CDEvent."""
    return event_type.startswith(CDEVENT_PREFIX)


def cloudevent_from_binary(headers: Mapping[str, str], data: Any) -> dict[str, Any]:
    """The structured form of a CloudEvent received in binary mode (``ce-*`` headers, the
    body as ``data``)."""
    event: dict[str, Any] = {"data": data}
    for name in _BINARY_ATTRIBUTES:
        value = headers.get(f"ce-{name}")
        if value is not None:
            event[name] = value
    return event


@dataclass(frozen=True)
class _Parts:
    """What the mappers read of one CDEvent: the canonical fields already known (``base``:
    id, source, time), the subject, its content, the customData, and the environment and
    service the content references."""

    base: dict[str, Any]
    subject: Mapping[str, Any]
    content: Mapping[str, Any]
    custom: Mapping[str, Any]
    environment: str | None
    service: str | None


def _mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _id_of(value: Any) -> str | None:
    """A CDEvents reference (``{"id": …}``) or a plain string, as a string."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if isinstance(value, str | int) and str(value) else None


def map_cdevent(cloudevent: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical event of a CDEvent (not yet validated: the caller checks it). A CDEvent
    assay has no meaning for becomes an ``unmapped`` event that keeps its type."""
    data = _mapping(cloudevent.get("data"))
    context = _mapping(data.get("context"))
    subject = _mapping(data.get("subject"))
    content = _mapping(subject.get("content"))
    custom = _mapping(data.get("customData"))
    kind = str(cloudevent.get("type") or context.get("type") or "")
    base: dict[str, Any] = {
        "id": str(context.get("id") or cloudevent.get("id") or ""),
        "source": f"cdevents:{context.get('source') or cloudevent.get('source') or ''}",
        "time": context.get("timestamp") or cloudevent.get("time"),
    }
    match = _TYPE.match(kind)
    if match is None:
        return {**base, "type": "unmapped", "original": kind, "reason": "not a CDEvents type"}
    noun, verb = match.groups()
    mapped = _MAPPERS.get((noun, verb))
    if mapped is None:
        return {
            **base,
            "type": "unmapped",
            "original": kind,
            "reason": f"CDEvents {noun}.{verb} has no meaning for the metrics",
        }
    parts = _Parts(
        base,
        subject,
        content,
        custom,
        environment=_id_of(content.get("environment")),
        service=_id_of(content.get("service")),
    )
    return mapped(parts)


def _deployed(parts: _Parts) -> dict[str, Any]:
    event = {
        **parts.base,
        "type": "deployment",
        "service": _id_of(parts.subject.get("id")),
        "environment": parts.environment,
        "outcome": "success",
        "artifact": parts.content.get("artifactId"),
        "changes": parts.custom.get("changes", []),
    }
    for key in ("planned", "team", "version"):
        if key in parts.custom:
            event[key] = parts.custom[key]
    return _without_none(event)


def _rolledback(parts: _Parts) -> dict[str, Any]:
    return _without_none(
        {
            **parts.base,
            "type": "rollback",
            "service": _id_of(parts.subject.get("id")),
            "environment": parts.environment,
            "deployment": parts.custom.get("deployment"),
            "to": parts.content.get("artifactId"),
        }
    )


def _pipeline_finished(parts: _Parts) -> dict[str, Any]:
    return _without_none(
        {
            **parts.base,
            "type": "pipeline_run",
            "pipeline": parts.content.get("pipelineName") or _id_of(parts.subject.get("id")),
            "outcome": parts.content.get("outcome"),
            "url": parts.content.get("url"),
        }
    )


def _change_merged(parts: _Parts) -> dict[str, Any]:
    # The change's own id (a commit sha in customData, else the subject) is the event's id:
    # deployments name their changes by it.
    return _without_none(
        {
            **parts.base,
            "id": parts.custom.get("commit") or _id_of(parts.subject.get("id")),
            "type": "change",
            "service": _id_of(parts.content.get("repository")),
        }
    )


def _incident(reported_by: str) -> Callable[[_Parts], dict[str, Any]]:
    def mapper(parts: _Parts) -> dict[str, Any]:
        return _without_none(
            {
                **parts.base,
                "type": "incident",
                "incident": _id_of(parts.subject.get("id")),
                "service": parts.service,
                "environment": parts.environment,
                "deployment": parts.custom.get("deployment"),
                "severity": parts.custom.get("severity"),
                "reported_by": reported_by,
            }
        )

    return mapper


def _incident_resolved(parts: _Parts) -> dict[str, Any]:
    return _without_none(
        {
            **parts.base,
            "type": "incident_resolved",
            "incident": _id_of(parts.subject.get("id")),
            "service": parts.service,
            "environment": parts.environment,
        }
    )


def _ticket_closed(parts: _Parts) -> dict[str, Any]:
    labels = parts.content.get("labels")
    labels = labels if isinstance(labels, list) else []
    if parts.content.get("ticketType") == "incident" or "incident" in labels:
        # A closed incident ticket resolves the incident it tracks (customData.incident, else
        # the ticket itself).
        resolved = _incident_resolved(parts)
        if parts.custom.get("incident"):
            resolved["incident"] = str(parts.custom["incident"])
        return resolved
    return {
        **parts.base,
        "type": "unmapped",
        "original": "ticket.closed",
        "reason": "a closed ticket that is not an incident",
    }


def _without_none(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if value is not None}


_MAPPERS: dict[tuple[str, str], Callable[[_Parts], dict[str, Any]]] = {
    ("service", "deployed"): _deployed,
    ("service", "upgraded"): _deployed,
    ("service", "rolledback"): _rolledback,
    ("pipelinerun", "finished"): _pipeline_finished,
    ("change", "merged"): _change_merged,
    ("incident", "detected"): _incident("detector"),
    ("incident", "reported"): _incident("person"),
    ("incident", "resolved"): _incident_resolved,
    ("ticket", "closed"): _ticket_closed,
}

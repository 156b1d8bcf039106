"""Taking OpenTelemetry traces in: the GenAI spans of an export become ``llm_response`` and
``evaluation`` events, each checked on its own (a bad span is rejected and reported, the
others are stored), kept once per (source, id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.integrations.otlp import TraceEvents
from assay.metrics.events import EventProblem, parse_event
from assay.services.events import IngestResult, ingest
from assay.store import Store

__all__ = ["OutOfScope", "TraceIngest", "ingest_traces", "stamp_scope"]

_SHOWN = 5  # rejected spans named in the answer


class OutOfScope(ValueError):
    """An event names another service or model than the sender's token may send for."""


def stamp_scope(event: dict[str, Any], scope: str | None) -> dict[str, Any]:
    """``event`` as a sender scoped to ``scope`` may send it: one that names a service or
    model must name ``scope``; a judgement, vote or use that names none is stamped with it, so
    that it counts only for the scope's own responses. :class:`OutOfScope` otherwise."""
    if scope is None:
        return event
    subject = event.get("service") or event.get("model")
    if subject is not None and subject != scope:
        raise OutOfScope(f"this token is limited to {scope!r}, the event names {subject!r}")
    if subject is None and event.get("type") in ("evaluation", "feedback", "feature_used"):
        event["service"] = scope
    return event


@dataclass
class TraceIngest:
    """What one export did: spans read, spans that were not GenAI operations, events stored
    or redelivered, and the spans rejected with their reasons."""

    spans: int = 0
    ignored: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    result: IngestResult = field(default_factory=IngestResult)

    def message(self) -> str:
        """The partial-success message: the first rejected spans and why."""
        shown = "; ".join(self.problems[:_SHOWN])
        more = len(self.problems) - _SHOWN
        return shown + (f"; and {more} more" if more > 0 else "")

    def to_dict(self) -> dict[str, Any]:
        """As JSON (for logs and the CLI)."""
        return {
            "spans": self.spans,
            "ignored": self.ignored,
            "rejected": self.rejected,
            "problems": self.problems[:_SHOWN],
            **self.result.to_dict(),
        }


def ingest_traces(
    store: Store, found: TraceEvents, *, now: datetime, scope: str | None = None
) -> TraceIngest:
    """Check each event of an export and store the good ones in one transaction. An event
    whose time is unknown (an evaluation event without one) takes ``now``."""
    out = TraceIngest(spans=found.spans, ignored=found.ignored)
    good = []
    for raw in found.events:
        if raw.get("time") is None:
            raw["time"] = now.isoformat()
        try:
            good.append(stamp_scope(parse_event(raw, now=now), scope))
        except (EventProblem, OutOfScope) as problem:
            out.rejected += 1
            out.problems.append(f"span {raw.get('id')}: {problem}")
    out.result = ingest(store, good)
    return out

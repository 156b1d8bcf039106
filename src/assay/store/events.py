"""The events table: canonical events kept once per (source, id), read back by environment,
service, type and time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from assay.store.canonical import canonical_json_of_parsed
from assay.store.database import Database
from assay.store.schema import events

__all__ = ["EventRow", "EventStore", "events_digest", "row_of"]

_BATCH = 5000


@dataclass(frozen=True)
class EventRow:
    """One event as stored: its key, the columns selected on, and its canonical JSON."""

    source: str
    id: str
    type: str
    time: float
    service: str | None
    environment: str | None
    model: str | None
    body: str


def row_of(event: Any) -> EventRow:
    """The stored form of a canonical event (a model of :mod:`assay.metrics.events`)."""
    data = event.model_dump(mode="json", exclude_none=True)
    return EventRow(
        source=event.source,
        id=event.id,
        type=event.type,
        time=event.time.timestamp(),
        service=data.get("service"),
        environment=data.get("environment"),
        model=data.get("model"),
        body=canonical_json_of_parsed(data),
    )


def events_digest(bodies: Iterable[str]) -> str:
    """SHA-256 over the events a figure was computed from: each event's canonical JSON, in
    (source, id) order, one per line (docs/metrics.md shows how to recompute it)."""
    keyed = []
    for body in bodies:
        event = json.loads(body)
        keyed.append((event["source"], event["id"], body))
    keyed.sort()
    digest = hashlib.sha256()
    for _, _, body in keyed:
        digest.update(body.encode())
        digest.update(b"\n")
    return digest.hexdigest()


class EventStore:
    """Read and write the events of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def insert_in(self, conn: Connection, rows: Sequence[EventRow]) -> int:
        """Store ``rows`` in the caller's transaction; rows whose (source, id) is stored
        already (or repeated among ``rows``) are left out. Returns how many were new."""
        if not rows:
            return 0
        unique = {(r.source, r.id): r for r in reversed(rows)}  # the first of repeats wins
        received = datetime.now(UTC).isoformat(timespec="milliseconds")
        dialect = sqlite if self.database.dialect == "sqlite" else postgresql
        inserted = 0
        values = list(reversed(unique.values()))
        for start in range(0, len(values), _BATCH):
            batch = [
                {
                    "source": r.source,
                    "id": r.id,
                    "type": r.type,
                    "time": r.time,
                    "service": r.service,
                    "environment": r.environment,
                    "model": r.model,
                    "body": r.body,
                    "received": received,
                }
                for r in values[start : start + _BATCH]
            ]
            statement = (
                dialect.insert(events)
                .on_conflict_do_nothing(index_elements=["source", "id"])
                .returning(events.c.id)
            )
            inserted += len(conn.execute(statement, batch).all())
        return inserted

    def insert(self, rows: Sequence[EventRow]) -> int:
        """:meth:`insert_in` in a transaction of its own."""
        with self.database.writing() as conn:
            return self.insert_in(conn, rows)

    def bodies(
        self,
        *,
        environment: str | None = None,
        service: str | None = None,
        types: Sequence[str] | None = None,
        before: float | None = None,
    ) -> Iterator[str]:
        """The canonical JSON of the matching events, oldest first. An event without an
        environment or service (a change, a resolution) matches any: the metrics need them."""
        query = select(events.c.body).order_by(events.c.time, events.c.source, events.c.id)
        if environment is not None:
            query = query.where(
                or_(events.c.environment == environment, events.c.environment.is_(None))
            )
        if service is not None:
            query = query.where(or_(events.c.service == service, events.c.service.is_(None)))
        if types:
            query = query.where(events.c.type.in_(list(types)))
        if before is not None:
            query = query.where(events.c.time < before)
        with self.database.snapshot() as conn:
            result = conn.execution_options(yield_per=10_000).execute(query)
            for (body,) in result:
                yield body

    def listed(
        self,
        *,
        types: Sequence[str] | None = None,
        service: str | None = None,
        limit: int = 100,
    ) -> list[EventRow]:
        """The newest ``limit`` events of the given types or service, newest first."""
        query = select(events).order_by(events.c.time.desc(), events.c.source, events.c.id)
        conditions: list[Any] = []
        if types:
            conditions.append(events.c.type.in_(list(types)))
        if service is not None:
            conditions.append(events.c.service == service)
        if conditions:
            query = query.where(and_(*conditions))
        with self.database.reading() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [
            EventRow(r.source, r.id, r.type, r.time, r.service, r.environment, r.model, r.body)
            for r in rows
        ]

    def counts(self) -> dict[str, int]:
        """How many events of each type are stored."""
        query = select(events.c.type, func.count()).group_by(events.c.type)
        with self.database.reading() as conn:
            return {kind: int(n) for kind, n in conn.execute(query)}

    def latest_deployment(self, service: str, environment: str, before: float) -> str | None:
        """The id of the newest successful deployment of ``service`` to ``environment`` before
        ``before`` (what an adapter's rollback without a deployment id rolls back)."""
        query = (
            select(events.c.body)
            .where(
                events.c.type == "deployment",
                events.c.service == service,
                events.c.environment == environment,
                events.c.time < before,
            )
            .order_by(events.c.time.desc())
        )
        with self.database.reading() as conn:
            for (body,) in conn.execute(query.limit(50)):
                event = json.loads(body)
                if event["outcome"] == "success":
                    return str(event["id"])
        return None

    def services(self, environment: str | None = None) -> list[str]:
        """The services with deployments (in ``environment``), sorted."""
        query = select(events.c.service).where(
            events.c.type == "deployment", events.c.service.is_not(None)
        )
        if environment is not None:
            query = query.where(events.c.environment == environment)
        with self.database.reading() as conn:
            return sorted({s for (s,) in conn.execute(query.distinct())})

"""The events table: canonical events kept once per (source, id), read back by environment,
service, type and time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, and_, func, or_, select

from assay.metrics.events import epoch_of
from assay.store.bulk import unnest_insert_sql
from assay.store.canonical import canonical_json_of_parsed
from assay.store.database import Database
from assay.store.group_commit import BatchRetry
from assay.store.schema import events

__all__ = ["EventRow", "EventStore", "events_digest", "parse_body", "row_of"]

_BODY = msgspec.json.Decoder()


def parse_body(body: str) -> dict[str, Any]:
    """A stored event's canonical JSON as a dict (msgspec's decoder: the same values as the
    json module, in about half the time, which counts when a figure reads a million)."""
    event: dict[str, Any] = _BODY.decode(body)
    return event


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


def row_of(event: Mapping[str, Any]) -> EventRow:
    """The stored form of a canonical event (as :func:`assay.metrics.events.parse_event`
    returns it)."""
    return EventRow(
        source=event["source"],
        id=event["id"],
        type=event["type"],
        time=epoch_of(event["time"]),
        service=event.get("service"),
        environment=event.get("environment"),
        model=event.get("model"),
        body=canonical_json_of_parsed(event),
    )


_COLUMNS = "source, id, type, time, service, environment, model, body, received"
_DEFERRED = "assay.events.deferred"  # in a connection's info: its deferring block's rows


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(row: tuple[Any, ...]) -> str:
    """One row in COPY's text format: tab-separated, ``\\N`` for NULL, specials escaped."""
    return (
        "\t".join(
            "\\N"
            if value is None
            else repr(value)
            if type(value) is float
            else str(value).translate(_COPY_ESCAPES)
            for value in row
        )
        + "\n"
    )


_FEW_ROWS = 64  # up to this many, one INSERT of the rows' arrays instead of COPY's four steps


# Constant text whatever the number of rows, so PostgreSQL prepares it once per connection.
_UNNEST_INSERT = unnest_insert_sql(events) + ' ON CONFLICT ("source", "id") DO NOTHING'


def _unnest_insert(conn: Connection, values: list[tuple[Any, ...]]) -> int:
    """PostgreSQL: insert the rows not stored yet, in one statement (one array per column);
    how many were new."""
    first = {(row[0], row[1]): row for row in reversed(values)}  # the first of repeats wins
    columns = [list(column) for column in zip(*reversed(first.values()), strict=True)]
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(_UNNEST_INSERT, columns)
        return int(cursor.rowcount)


def _copy_insert(conn: Connection, values: list[tuple[Any, ...]]) -> int:
    """PostgreSQL: insert the rows not stored yet. A few (a run's outcome events) in one
    statement; more by COPY into a temporary table, then one INSERT from it."""
    if len(values) <= _FEW_ROWS:
        return _unnest_insert(conn, values)
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS events_incoming "
            "(LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE events_incoming")
        with cursor.copy(f"COPY events_incoming ({_COLUMNS}) FROM STDIN") as copy:
            copy.write("".join(_copy_line(row) for row in values))
        cursor.execute(
            f"INSERT INTO events ({_COLUMNS}) SELECT {_COLUMNS} FROM events_incoming "
            "ON CONFLICT (source, id) DO NOTHING"
        )
        return int(cursor.rowcount)


def events_digest(bodies: Iterable[str], events: Iterable[Mapping[str, Any]] | None = None) -> str:
    """SHA-256 over the events a figure was computed from: each event's canonical JSON, in
    (source, id) order, one per line (docs/metrics.md shows how to recompute it). ``events``,
    when given, are the bodies already parsed, in the same order (they are not parsed again)."""
    parsed = events if events is not None else (parse_body(body) for body in bodies)
    keyed = [
        (event["source"], event["id"], body) for event, body in zip(parsed, bodies, strict=True)
    ]
    keyed.sort()
    digest = hashlib.sha256()
    for _, _, body in keyed:
        digest.update(body.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _values(rows: Iterable[EventRow]) -> list[tuple[Any, ...]]:
    """The rows as stored, received now: one tuple each, in the order of ``_COLUMNS``."""
    received = datetime.now(UTC).isoformat(timespec="milliseconds")
    return [
        (r.source, r.id, r.type, r.time, r.service, r.environment, r.model, r.body, received)
        for r in rows
    ]


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
        values = _values(reversed(unique.values()))
        # Bulk paths of each driver: one statement per row through SQLAlchemy costs 50 µs
        # (SQLite) to 240 µs (PostgreSQL) a row; these cost a few (benchmarks/bench_metrics.py).
        if self.database.dialect == "postgresql":
            return _copy_insert(conn, values)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(
                f"INSERT OR IGNORE INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def insert_later(self, conn: Connection, rows: Sequence[EventRow]) -> None:
        """Like :meth:`insert_in`, for a caller that needs no count: inside :meth:`deferring`
        on ``conn`` the rows are kept and stored with the block's others when it ends, in one
        statement; otherwise at once."""
        waiting: list[tuple[Any, ...]] | None = conn.info.get(_DEFERRED)
        if waiting is None:
            self.insert_in(conn, rows)
        else:
            waiting += _values(rows)

    @contextmanager
    def deferring(self, conn: Connection) -> Iterator[None]:
        """On PostgreSQL, :meth:`insert_later` through ``conn`` (a write transaction) inside
        the block keeps its rows, and the block's end stores them all in one statement instead
        of one each. Should that fail, :class:`BatchRetry` is raised: the group committer
        runs the batch again, each piece in a savepoint, storing its own rows at once. On
        other databases (an insert there is no round trip) nothing is kept. Kept rows are
        not in the table yet: a read of events inside the block does not see them."""
        if self.database.dialect != "postgresql" or _DEFERRED in conn.info:
            yield
            return
        waiting: list[tuple[Any, ...]] = []
        conn.info[_DEFERRED] = waiting
        try:
            yield
        finally:
            conn.info.pop(_DEFERRED, None)
        if waiting:
            try:
                _unnest_insert(conn, waiting)
            except Exception as error:  # for the committer: again, each piece on its own
                raise BatchRetry(f"the batch's events could not be stored: {error}") from error

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
        after: float | None = None,
        model: str | None = None,
    ) -> Iterator[str]:
        """The canonical JSON of the matching events (time in ``[after, before)``), oldest
        first. An event without an environment, service or model (a change, a resolution, an
        evaluation) matches any: the metrics need them."""
        query = select(events.c.body).order_by(events.c.time, events.c.source, events.c.id)
        if environment is not None:
            query = query.where(
                or_(events.c.environment == environment, events.c.environment.is_(None))
            )
        if service is not None:
            query = query.where(or_(events.c.service == service, events.c.service.is_(None)))
        if types:
            query = query.where(events.c.type.in_(list(types)))
        if model is not None:
            query = query.where(or_(events.c.model == model, events.c.model.is_(None)))
        if before is not None:
            query = query.where(events.c.time < before)
        if after is not None:
            query = query.where(events.c.time >= after)
        with self.database.snapshot() as conn:
            result = conn.execution_options(yield_per=10_000).execute(query)
            for (body,) in result:
                yield body

    def listed(
        self,
        *,
        types: Sequence[str] | None = None,
        service: str | None = None,
        model: str | None = None,
        environment: str | None = None,
        limit: int = 100,
    ) -> list[EventRow]:
        """The newest ``limit`` events of the given types, service, model and environment,
        newest first."""
        query = select(events).order_by(events.c.time.desc(), events.c.source, events.c.id)
        conditions: list[Any] = []
        if types:
            conditions.append(events.c.type.in_(list(types)))
        if service is not None:
            conditions.append(events.c.service == service)
        if model is not None:
            conditions.append(events.c.model == model)
        if environment is not None:
            conditions.append(events.c.environment == environment)
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

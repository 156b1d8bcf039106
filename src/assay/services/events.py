"""Taking events in: checking them, resolving what adapters cannot know alone (the deployment a
rollback undoes, whether an alias move is a rollback), and storing each once per (source, id)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from queue import Queue
from threading import Thread
from typing import Any, TextIO

from sqlalchemy import Connection

from assay.errors import InvalidInputError
from assay.files.jsonlines import json_objects
from assay.integrations.git_history import git_deployments
from assay.metrics.events import EventProblem, parse_event
from assay.store import Store
from assay.store.events import EventRow, row_of

__all__ = [
    "IngestResult",
    "adapt_and_ingest",
    "backfill_git",
    "checked_events",
    "import_events_file",
    "ingest",
    "ingest_in",
    "ingest_later",
    "ingest_stream",
    "resolve_adapted",
]


@dataclass
class IngestResult:
    """What one delivery or file did: events received, newly stored, redelivered (already
    stored), and the unmapped types among them."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    unmapped: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)

    def count(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Count ``events`` as received, by type."""
        self.received += len(events)
        for event in events:
            kind = event["type"]
            self.types[kind] = self.types.get(kind, 0) + 1
            if kind == "unmapped":
                self.unmapped[event["original"]] = self.unmapped.get(event["original"], 0) + 1

    def settle(self, stored: int) -> None:
        """Record how many of the received events were new; the others were redelivered."""
        self.stored = stored
        self.duplicates = self.received - stored

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer of the API and of ``--format json``."""
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "types": dict(sorted(self.types.items())),
            "unmapped": dict(sorted(self.unmapped.items())),
        }


def _now() -> datetime:
    return datetime.now(UTC)


def checked_events(
    raw: Iterable[Mapping[str, Any]], *, now: datetime, where: Callable[[int], str]
) -> list[dict[str, Any]]:
    """Every event of ``raw`` validated; the first bad one raises :class:`InvalidInputError`
    naming it through ``where(index)`` (a line number, a field) with the reason."""
    events = []
    for index, data in enumerate(raw):
        try:
            events.append(parse_event(data, now=now))
        except EventProblem as problem:
            raise InvalidInputError(
                problem.problem,
                source=where(index),
                location=problem.where or None,
                expected="a canonical event (docs/schemas/event.schema.json)",
            ) from None
    return events


def _result(events: Sequence[Mapping[str, Any]], stored: int) -> IngestResult:
    result = IngestResult()
    result.count(events)
    result.settle(stored)
    return result


def ingest_in(store: Store, conn: Connection, events: Sequence[Mapping[str, Any]]) -> IngestResult:
    """Store checked ``events`` in the caller's transaction (each once per (source, id))."""
    rows: list[EventRow] = [row_of(event) for event in events]
    return _result(events, store.events.insert_in(conn, rows))


def ingest_later(store: Store, conn: Connection, events: Sequence[Mapping[str, Any]]) -> None:
    """Store checked ``events`` in the caller's transaction, with the other rows of a batch
    when it writes them together (:meth:`~assay.store.events.EventStore.insert_later`)."""
    store.events.insert_later(conn, [row_of(event) for event in events])


def ingest(store: Store, events: Sequence[Mapping[str, Any]]) -> IngestResult:
    """Store checked ``events`` in one transaction: all of them or, on failure, none."""
    with store.database.writing() as conn:
        return ingest_in(store, conn, events)


_CHUNK = 10_000
_DONE = object()


def ingest_stream(
    store: Store,
    chunks: Iterable[Sequence[Mapping[str, Any]]],
    *,
    now: datetime,
    where: Callable[[int], str],
) -> IngestResult:
    """Check and store events arriving in chunks, all in one transaction: the first bad event
    (``where(index)`` names it, counting from the first chunk) refuses them all and nothing is
    stored. Checking the next chunk overlaps with the database storing the previous one (a
    writer thread holds the transaction), which is what makes bulk loads fast."""
    handoff: Queue[Any] = Queue(maxsize=2)
    stored: list[int] = []
    failure: list[BaseException] = []

    def write() -> None:
        try:
            with store.database.writing() as conn:
                while (rows := handoff.get()) is not _DONE:
                    if rows is None:
                        raise _Abandoned
                    stored.append(store.events.insert_in(conn, rows))
        except _Abandoned:
            pass
        except BaseException as error:  # handed to the caller's thread below
            failure.append(error)
            while handoff.get() not in (_DONE, None):  # let the producer finish
                pass

    writer = Thread(target=write, name="assay-ingest", daemon=True)
    writer.start()
    result = IngestResult()
    offset = 0
    try:
        for chunk in chunks:

            def located(index: int, first: int = offset) -> str:
                return where(first + index)

            events = checked_events(chunk, now=now, where=located)
            offset += len(chunk)
            result.count(events)
            handoff.put([row_of(event) for event in events])
    except BaseException:
        handoff.put(None)
        writer.join()
        raise
    handoff.put(_DONE)
    writer.join()
    if failure:
        raise failure[0]
    result.settle(sum(stored))
    return result


class _Abandoned(Exception):
    """The producer refused an event: roll the transaction back."""


def import_events_file(
    store: Store, path: Path, *, source: str | None = None, now: datetime | None = None
) -> IngestResult:
    """Load a JSON-lines file of canonical events (blank lines are skipped). One bad line
    refuses the whole file, naming the line; nothing is stored then. ``source`` is given to
    events that name none."""
    moment = now or _now()
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(
            f"cannot read the file ({error.strerror})",
            source=str(path),
            expected="a readable JSON-lines file of events",
        ) from None
    lines: list[int] = []  # the line number of each event, for messages
    with handle:
        return ingest_stream(
            store,
            _file_chunks(handle, path, source, lines),
            now=moment,
            where=lambda i: f"{path}:{lines[i]}",
        )


def _file_chunks(
    handle: TextIO, path: Path, source: str | None, lines: list[int]
) -> Iterator[list[dict[str, Any]]]:
    """The objects of a JSON-lines file, a chunk at a time (a file larger than memory loads
    too); a line that is not a JSON object raises :class:`InvalidInputError` naming it."""
    chunk: list[dict[str, Any]] = []
    for number, data in json_objects(handle, str(path)):
        if source is not None:
            data.setdefault("source", source)
        chunk.append(data)
        lines.append(number)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def backfill_git(
    store: Store,
    repo: Path,
    pattern: str,
    *,
    service: str,
    environment: str,
    team: str | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Store the deployments a git history shows (tags matching ``pattern``); a tag whose
    commits are later than the tag itself refuses the whole backfill, naming the tag."""
    raw = git_deployments(repo, pattern, service=service, environment=environment, team=team)
    if not raw:
        raise InvalidInputError(
            f"no tag matches {pattern!r}",
            source=str(repo),
            expected="a --deploy-tags pattern that matches the deployment tags (v*, deploy-*)",
        )
    events = checked_events(
        raw, now=now or _now(), where=lambda i: f"{repo} (tag {raw[i]['version']})"
    )
    return ingest(store, events)


def resolve_adapted(store: Store, raw: dict[str, Any], *, received: datetime) -> dict[str, Any]:
    """Complete an adapter's event with what only the store knows: an unmapped event without a
    time is given the time it was received; a rollback that names no deployment undoes the
    newest successful deployment of its service before it; an alias moved to an older version
    than the one deployed is a model rollback."""
    if raw.get("type") == "unmapped" and not raw.get("time"):
        raw["time"] = received.isoformat()
    if raw.get("type") == "rollback" and not raw.get("deployment"):
        at = _timestamp(raw.get("time"))
        if at is not None and raw.get("service") and raw.get("environment"):
            found = store.events.latest_deployment(raw["service"], raw["environment"], at)
            if found is not None:
                raw["deployment"] = found
    if raw.get("type") == "model_deployed":
        previous = _serving_version(store, raw)
        if previous is not None and _older(raw.get("version"), previous):
            raw["rollback"] = True
    return raw


def _timestamp(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def _serving_version(store: Store, raw: Mapping[str, Any]) -> str | None:
    """The version last deployed of the event's model in its environment."""
    if not raw.get("model") or not raw.get("environment"):
        return None
    newest = store.events.listed(
        types=["model_deployed"], model=raw["model"], environment=raw["environment"], limit=1
    )
    return str(json.loads(newest[0].body)["version"]) if newest else None


def _older(version: Any, than: str) -> bool:
    try:
        return int(str(version)) < int(than)
    except ValueError:
        return False


def adapt_and_ingest(
    store: Store,
    raw_events: Sequence[dict[str, Any]],
    *,
    where: str,
    now: datetime | None = None,
) -> IngestResult:
    """Check and store the events an adapter made from one delivery; an event that is not
    valid after resolution raises :class:`InvalidInputError` naming ``where``, nothing
    stored."""
    moment = now or _now()
    completed = [resolve_adapted(store, dict(raw), received=moment) for raw in raw_events]
    events = checked_events(completed, now=moment, where=lambda i: where)
    return ingest(store, events)

"""The evidence ledger in the database: append entries, read them back, verify the chain.

Appends are serialized by locking the ``ledger_head`` row: on SQLite the append transaction
starts with ``BEGIN IMMEDIATE`` (the database-wide write lock), on PostgreSQL it reads the head
row ``FOR UPDATE``. Inside the lock an append reads the head, writes the entry, moves the head
and commits, so concurrent writers queue up and the chain never forks or skips a number. An
append is acknowledged only after its commit; a writer killed earlier leaves nothing behind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from assay.errors import InvalidInputError
from assay.store.canonical import NotCanonicalizableError, canonical_json_and_value
from assay.store.chain import (
    ChainHead,
    LedgerEntry,
    VerificationResult,
    canonical_entry_hash,
    decode_payload,
    verify_chain,
)
from assay.store.database import Database
from assay.store.schema import ledger_entries, ledger_head

__all__ = ["KIND_PATTERN", "Ledger"]

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_READ_BATCH = 1000


class Ledger:
    """The append-only, hash-chained log of everything assay stores as evidence."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @property
    def database(self) -> Database:
        """The database the ledger lives in, for transactions that append with
        :meth:`append_in`."""
        return self._database

    def append(self, kind: str, payload: Mapping[str, Any]) -> LedgerEntry:
        """Append one entry and return it once it is committed.

        ``kind`` is a dotted lowercase name (``measurement.result``); ``payload`` a JSON object
        with a canonical form (see :mod:`assay.store.canonical`). Raises
        :class:`InvalidInputError` for either, before anything is written.
        """
        return self.append_many([(kind, payload)])[0]

    def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> list[LedgerEntry]:
        """Append several entries in one transaction: all of them are stored, or none."""
        prepared = [_prepare(kind, payload) for kind, payload in items]
        if not prepared:
            return []
        with self._database.writing() as conn:
            return self._append_prepared(conn, prepared)

    def append_in(
        self, conn: Connection, items: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> list[LedgerEntry]:
        """Append entries inside the caller's write transaction (from ``Database.writing()``),
        so that other rows written there commit or roll back together with the entries."""
        return self._append_prepared(conn, [_prepare(kind, payload) for kind, payload in items])

    def _append_prepared(
        self, conn: Connection, prepared: list[tuple[str, str, dict[str, Any]]]
    ) -> list[LedgerEntry]:
        head = self._lock_head(conn)
        entries: list[LedgerEntry] = []
        for kind, payload_json, payload in prepared:
            seq = head.seq + 1
            ts = _now()
            digest = canonical_entry_hash(head.hash, seq, ts, kind, payload_json)
            entries.append(LedgerEntry(seq, ts, kind, payload, head.hash, digest))
            head = ChainHead(seq, digest)
        rows = [
            {**entry.to_dict(), "payload": payload_json}
            for entry, (_, payload_json, _) in zip(entries, prepared, strict=True)
        ]
        conn.execute(insert(ledger_entries), rows)  # one executemany for a whole batch
        conn.execute(
            update(ledger_head).where(ledger_head.c.id == 1).values(seq=head.seq, hash=head.hash)
        )
        return entries

    def head(self) -> ChainHead:
        """The newest entry as the ledger records it (``seq`` 0 when empty)."""
        with self._database.reading() as conn:
            return _read_head(conn)

    def count(self) -> int:
        """How many entries are stored."""
        with self._database.reading() as conn:
            return int(conn.execute(select(func.count()).select_from(ledger_entries)).scalar_one())

    def entries(
        self, *, since: int = 1, limit: int | None = None, kind: str | None = None
    ) -> Iterator[LedgerEntry]:
        """Entries with ``seq >= since`` in order, optionally of one kind, at most ``limit``.

        Rows are fetched in batches, so a long ledger is never held in memory at once.
        """
        with self._database.snapshot() as conn:
            yield from _stream(conn, since=since, limit=limit, kind=kind)

    def entries_in(
        self, conn: Connection, *, kind: str | None = None, newest_first: bool = False
    ) -> Iterator[LedgerEntry]:
        """Entries of ``kind`` read through the caller's connection, e.g. to check for a
        duplicate inside the write transaction that will append; ``newest_first`` reads from
        the end, for lookups of the latest entry that matches."""
        if newest_first:
            return _stream_backwards(conn, kind=kind)
        return _stream(conn, since=1, kind=kind)

    @contextmanager
    def snapshot(self, *, since: int = 1) -> Iterator[tuple[ChainHead, Iterator[LedgerEntry]]]:
        """The recorded head and the entries from ``since`` on, read from one consistent state
        of the database (appends made meanwhile are in neither)."""
        with self._database.snapshot() as conn:
            yield _read_head(conn), _stream(conn, since=since)

    def verify(self) -> VerificationResult:
        """Check every entry's hash and link, and that the chain ends at the recorded head."""
        with self.snapshot() as (recorded, entries):
            return verify_chain(entries, recorded_head=recorded)

    def _lock_head(self, conn: Connection) -> ChainHead:
        query = select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1)
        if self._database.dialect != "sqlite":  # SQLite is already locked by BEGIN IMMEDIATE
            query = query.with_for_update()
        row = conn.execute(query).one()
        return ChainHead(int(row.seq), str(row.hash))


def _prepare(kind: str, payload: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """The kind, the payload's canonical text, and the payload as that text reads back."""
    if not isinstance(kind, str) or not KIND_PATTERN.match(kind) or len(kind) > 200:
        raise InvalidInputError(
            f"ledger entry kind {kind!r} is not valid",
            expected="a dotted lowercase name such as 'measurement.result' (at most 200 chars)",
        )
    if not isinstance(payload, Mapping):
        raise InvalidInputError(
            f"ledger payload of kind {kind!r} is a {type(payload).__name__}",
            expected="a JSON object",
        )
    try:
        text, parsed = canonical_json_and_value(dict(payload))
        return kind, text, parsed
    except NotCanonicalizableError as error:
        raise InvalidInputError(
            f"ledger payload of kind {kind!r} at {error.path}: {error.problem}",
            expected="JSON values only: objects with string keys, arrays, strings, finite numbers,"
            " booleans and null",
        ) from error


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _read_head(conn: Connection) -> ChainHead:
    row = conn.execute(
        select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1)
    ).one()
    return ChainHead(int(row.seq), str(row.hash))


def _stream(
    conn: Connection, *, since: int, limit: int | None = None, kind: str | None = None
) -> Iterator[LedgerEntry]:
    after = since - 1
    remaining = limit
    while remaining is None or remaining > 0:
        batch = _READ_BATCH if remaining is None else min(_READ_BATCH, remaining)
        query = select(ledger_entries).where(ledger_entries.c.seq > after)
        if kind is not None:
            query = query.where(ledger_entries.c.kind == kind)
        rows = conn.execute(query.order_by(ledger_entries.c.seq).limit(batch)).all()
        yield from (_entry(row) for row in rows)
        if len(rows) < batch:
            return
        after = int(rows[-1].seq)
        if remaining is not None:
            remaining -= len(rows)


def _stream_backwards(conn: Connection, *, kind: str | None) -> Iterator[LedgerEntry]:
    before: int | None = None
    while True:
        query = select(ledger_entries)
        if before is not None:
            query = query.where(ledger_entries.c.seq < before)
        if kind is not None:
            query = query.where(ledger_entries.c.kind == kind)
        rows = conn.execute(query.order_by(ledger_entries.c.seq.desc()).limit(_READ_BATCH)).all()
        yield from (_entry(row) for row in rows)
        if len(rows) < _READ_BATCH:
            return
        before = int(rows[-1].seq)


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        int(row.seq), row.ts, row.kind, decode_payload(row.payload), row.prev_hash, row.hash
    )

"""The evidence ledger in the database: append entries, read them back, verify the chain.

Appends are serialized by locking the ``ledger_head`` row: on SQLite the append transaction
starts with ``BEGIN IMMEDIATE`` (the database-wide write lock), on PostgreSQL it reads the head
row ``FOR UPDATE``. Inside the lock an append reads the head, writes the entry, moves the head
and commits, so concurrent writers queue up and the chain never forks or skips a number. An
append is acknowledged only after its commit; a writer killed earlier leaves nothing behind.

Every entry is written in format 2 (see :mod:`assay.store.chain`). An append may name key paths
of its payload whose values are confidential: those are sealed in the chained payload, and
their disclosures (salt and value) are written in the same transaction to
``ledger_disclosures``. Readers of this module receive every disclosure; what leaves assay for
a reader with less access is cut down by :mod:`assay.services.ledger_access`.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, func, select, update

from assay.errors import InvalidInputError
from assay.store import ledger_index
from assay.store.bulk import insert_rows
from assay.store.canonical import (
    NotCanonicalizableError,
    canonical_json,
    canonical_json_and_value,
    canonical_json_of_parsed,
)
from assay.store.chain import (
    SEALED_KEY,
    ChainHead,
    Disclosure,
    LedgerEntry,
    VerificationResult,
    decode_payload,
    entry_hash_v2,
    payload_digest,
    seal,
    verify_chain,
)
from assay.store.database import Database
from assay.store.group_commit import BatchRetry
from assay.store.head_lock import lock_head
from assay.store.ledger_in_database import BatchRows, append_in_database
from assay.store.ledger_tree import Frontier, TreeAppender, TreeView
from assay.store.ledger_write import write_at_once
from assay.store.pipeline import pipelines
from assay.store.schema import ledger_disclosures, ledger_entries, ledger_head, ledger_tree

__all__ = ["KIND_PATTERN", "Item", "LaterEntries", "Ledger", "Record"]

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Record:
    """What to append: a ``kind``, a ``payload``, and the key paths of the payload's values
    that are confidential (``sealed``), which the chain holds only as seals."""

    kind: str
    payload: Mapping[str, Any]
    sealed: Sequence[KeyPath] = field(default_factory=tuple)


Item = Record | tuple[str, Mapping[str, Any]]

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_READ_BATCH = 1000
COMMITTED_CACHE = 512  # committed entries kept in memory by Ledger.committed_entries
_SEAL_MARK = json.dumps(SEALED_KEY)  # how a seal's key reads in canonical JSON
_DEFERRED = "assay.ledger.deferred"  # in a connection's info: its deferring block's appends


class Ledger:
    """The append-only, hash-chained log of everything assay stores as evidence."""

    def __init__(self, database: Database) -> None:
        self._database = database
        engine = database.engine
        if not event.contains(engine, "before_execute", _write_deferred_first):
            event.listen(engine, "before_execute", _write_deferred_first)
        self._tree = TreeAppender()
        self._committed: OrderedDict[int, LedgerEntry] = OrderedDict()
        self._committed_lock = threading.Lock()

    @property
    def database(self) -> Database:
        """The database the ledger lives in, for transactions that append with
        :meth:`append_in`."""
        return self._database

    def append(
        self, kind: str, payload: Mapping[str, Any], *, sealed: Sequence[KeyPath] = ()
    ) -> LedgerEntry:
        """Append one entry and return it once it is committed.

        ``kind`` is a dotted lowercase name (``measurement.result``); ``payload`` a JSON object
        with a canonical form (see :mod:`assay.store.canonical`); ``sealed`` the key paths of
        its confidential values. Raises :class:`InvalidInputError` for a bad kind or payload,
        before anything is written.
        """
        return self.append_many([Record(kind, payload, sealed)])[0]

    def append_many(self, items: Iterable[Item]) -> list[LedgerEntry]:
        """Append several entries in one transaction: all of them are stored, or none."""
        prepared = [_prepare(item) for item in items]
        if not prepared:
            return []
        with self._database.writing() as conn:
            return self._append_prepared(conn, prepared)

    def append_in(self, conn: Connection, items: Iterable[Item]) -> list[LedgerEntry]:
        """Append entries inside the caller's write transaction (from ``Database.writing()``),
        so that other rows written there commit or roll back together with the entries.
        Inside :meth:`deferring` they are chained at once but written later (see there)."""
        prepared = [_prepare(item) for item in items]
        deferred: _Deferred | None = conn.info.get(_DEFERRED)
        if deferred is None:
            return self._append_prepared(conn, prepared)
        chained = _chain(self.lock_head(conn), prepared)  # after the late items waiting
        deferred.add(chained)
        return chained.entries

    def append_later(self, conn: Connection, items: Iterable[Item]) -> LaterEntries:
        """Like :meth:`append_in`, for a caller that needs the entries only once they are
        stored: inside :meth:`deferring`, the items are checked and sealed now but numbered
        and hashed only when the block's entries are written, so that the head lock is taken
        then, not here. Outside such a block they are appended at once."""
        prepared = [_prepare(item) for item in items]
        later = LaterEntries()
        deferred: _Deferred | None = conn.info.get(_DEFERRED)
        if deferred is None:
            later.entries = self._append_prepared(conn, prepared)
        else:
            deferred.wait(prepared, later)
        return later

    @contextmanager
    def deferring(self, conn: Connection, *, ends_transaction: bool = False) -> Iterator[None]:
        """Inside the block, :meth:`append_in` through ``conn`` (a write transaction) chains
        its entries at once — numbers, hashes, the head lock taken at the first — and writes
        them when the block ends: one insert per table for every append of the block instead
        of one each. :meth:`append_later` chains its entries only then (or at the next
        :meth:`append_in`), in the order of the calls. Any other statement run on ``conn``
        meanwhile chains and writes them first, so every read sees them. Conditions given to
        :meth:`expect_latest` are checked, under the head lock, before anything is written;
        when one no longer holds, :class:`BatchRetry` is raised and the caller must roll the
        transaction back.

        ``ends_transaction``: the block ends where ``conn``'s transaction is committed, with
        nothing run between. On PostgreSQL the block's last write is then sent with the
        COMMIT, in one round trip (the transaction's own commit finds nothing left to do)."""
        deferred = _Deferred(self)
        conn.info[_DEFERRED] = deferred
        try:
            yield
            self._write_deferred(conn, deferred, commit=ends_transaction)
        finally:
            conn.info.pop(_DEFERRED, None)

    def expect_latest(
        self, conn: Connection, expected: Mapping[tuple[str, str], int | None]
    ) -> bool:
        """Whether ``expected`` — the seq of the newest entry of each (kind, key) of the ledger
        index, None for none — was taken as a condition of ``conn``'s :meth:`deferring` block
        instead of being read now. It is taken only inside such a block, and only for keys
        that none of the block's unwritten entries has; otherwise the caller reads the index
        (which writes those entries first)."""
        deferred: _Deferred | None = conn.info.get(_DEFERRED)
        if deferred is None or any(key in deferred.keys for key in expected):
            return False
        if any(deferred.expected.get(key, seq) != seq for key, seq in expected.items()):
            return False
        deferred.expected.update(expected)
        return True

    def _append_prepared(self, conn: Connection, prepared: list[_Prepared]) -> list[LedgerEntry]:
        if pipelines(conn):
            (chained,) = _append_in_database(conn, [prepared], {}, commit=False)
            return chained.entries
        locked = lock_head(conn)
        chained = _chain(locked.head, prepared)
        self._write(conn, locked.head, chained, locked.frontier)
        return chained.entries

    def _chain_waiting(self, conn: Connection, deferred: _Deferred) -> None:
        """Take the head lock (once per block) and chain the :meth:`append_later` items
        waiting, in order."""
        if deferred.head is None:
            busy, deferred.busy = deferred.busy, True  # the lock's query writes nothing first
            try:
                locked = lock_head(conn, deferred.expected)
            finally:
                deferred.busy = busy
            deferred.head = deferred.written = locked.head
            deferred.frontier = locked.frontier
            deferred.checked = _check(deferred.expected, locked.latest)
        for prepared, later in deferred.waiting:
            chained = _chain(deferred.head, prepared)
            deferred.add(chained)
            later.entries = chained.entries
        deferred.waiting.clear()

    def _write_deferred(self, conn: Connection, deferred: _Deferred, commit: bool = False) -> None:
        """Check the block's conditions and write its unwritten entries (nothing when there
        are none); with ``commit``, commit the transaction with them on PostgreSQL when the
        head lock is not taken yet."""
        if deferred.busy or not deferred.unwritten:
            return
        deferred.busy = True
        try:
            if deferred.head is None and pipelines(conn):
                # Only late items wait: the database locks, checks, chains and writes them.
                self._write_waiting_in_database(conn, deferred, commit)
                return
            self._chain_waiting(conn, deferred)
            if not deferred.checked.issuperset(deferred.expected):
                deferred.checked = _check(
                    deferred.expected, ledger_index.latest_of(conn, deferred.expected)
                )
            assert deferred.written is not None  # set with the head lock, at the first append
            self._write(conn, deferred.written, deferred.chained, deferred.frontier)
            deferred.written = deferred.chained.head
            deferred.clear()
        finally:
            deferred.busy = False

    def _write_waiting_in_database(
        self, conn: Connection, deferred: _Deferred, commit: bool
    ) -> None:
        """The block's waiting items appended by the database (see
        :mod:`assay.store.ledger_in_database`), the block's conditions checked there."""
        groups = [prepared for prepared, _ in deferred.waiting]
        chains = _append_in_database(conn, groups, deferred.expected, commit=commit)
        for (_, later), chained in zip(deferred.waiting, chains, strict=True):
            later.entries = chained.entries
        deferred.waiting.clear()
        deferred.head = deferred.written = chains[-1].head
        deferred.clear()

    def _write(
        self,
        conn: Connection,
        before: ChainHead,
        chained: _Chained,
        frontier: Frontier | None = None,
    ) -> None:
        """Store chained entries (which follow ``before``): the entries and their disclosures,
        the Merkle tree's new nodes, the head, the index (in one statement on PostgreSQL:
        the head lock is held throughout, see :mod:`assay.store.ledger_write`).
        ``frontier``: the tree's at ``before``, when it was read with the lock."""
        head = chained.head
        if frontier is None:
            frontier = self._tree.frontier(conn, (before.seq, before.hash))
        tree_nodes = self._tree.nodes(
            (before.seq, before.hash),
            (head.seq, head.hash),
            [row["hash"] for row in chained.rows],
            frontier,
        )
        latest = ledger_index.latest_keys((e.seq, e.kind, e.payload) for e in chained.entries)
        if pipelines(conn):
            write_at_once(conn, chained.rows, chained.disclosures, tree_nodes, latest, head)
            return
        insert_rows(conn, ledger_entries, chained.rows)
        insert_rows(conn, ledger_disclosures, chained.disclosures)
        insert_rows(conn, ledger_tree, tree_nodes)
        conn.execute(
            update(ledger_head).where(ledger_head.c.id == 1).values(seq=head.seq, hash=head.hash)
        )
        ledger_index.record(conn, latest)

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
        self,
        conn: Connection,
        *,
        kind: str | None = None,
        newest_first: bool = False,
        since: int = 1,
        limit: int | None = None,
    ) -> Iterator[LedgerEntry]:
        """Entries of ``kind`` read through the caller's connection, e.g. to check for a
        duplicate inside the write transaction that will append; ``newest_first`` reads from
        the end, for lookups of the latest entry that matches; otherwise from ``since`` on, at
        most ``limit``."""
        if newest_first:
            return _stream_backwards(conn, kind=kind)
        return _stream(conn, since=since, limit=limit, kind=kind)

    def entries_at(self, conn: Connection, seqs: Sequence[int]) -> list[LedgerEntry]:
        """The entries numbered ``seqs`` (those that exist), in order, read through the
        caller's connection."""
        if not seqs:
            return []
        rows = conn.execute(
            select(ledger_entries)
            .where(ledger_entries.c.seq.in_(list(seqs)))
            .order_by(ledger_entries.c.seq)
        ).all()
        return _entries(conn, rows)

    def committed_entries(
        self, seqs: Sequence[int], reading: Connection | None = None
    ) -> list[LedgerEntry]:
        """The committed entries numbered ``seqs`` (those that exist), in order. A committed
        entry never changes, so the last :data:`COMMITTED_CACHE` read (or handed to
        :meth:`remember_committed`) are kept in memory: the stored specs and registrations
        every push looks up are read once per process, a run's predecessors not at all when
        the same process stored them.
        The entries are shared; callers must not change their payloads. Those not kept are
        read through ``reading`` when given (a connection from ``Database.reading``, which
        sees committed rows only), so that a caller holding one needs no second."""
        with self._committed_lock:
            known = {seq: self._committed[seq] for seq in seqs if seq in self._committed}
            for seq in known:
                self._committed.move_to_end(seq)
        missing = [seq for seq in seqs if seq not in known]
        if missing:
            if reading is not None:
                read = self.entries_at(reading, missing)
            else:
                with self._database.reading() as conn:  # autocommit: only committed rows
                    read = self.entries_at(conn, missing)
            self.remember_committed(read)
            known.update((entry.seq, entry) for entry in read)
        return [known[seq] for seq in sorted(set(seqs)) if seq in known]

    def remember_committed(self, entries: Iterable[LedgerEntry]) -> None:
        """Keep ``entries``, which the caller knows are committed (it appended them and saw
        the commit), among those :meth:`committed_entries` answers from memory: a run's
        successor reads them next, and need not read them back from the database."""
        with self._committed_lock:
            for entry in entries:
                self._committed[entry.seq] = entry
                self._committed.move_to_end(entry.seq)
            while len(self._committed) > COMMITTED_CACHE:
                self._committed.popitem(last=False)

    @contextmanager
    def tree(self) -> Iterator[TreeView]:
        """The ledger's Merkle tree as of one consistent state: its size (the head's number)
        and the roots of its subtrees, read from the stored nodes."""
        with self._database.snapshot() as conn:
            yield TreeView(conn, _read_head(conn).seq)

    @contextmanager
    def snapshot(
        self, *, since: int = 1, kind: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[ChainHead, Iterator[LedgerEntry]]]:
        """The recorded head and the entries from ``since`` on (of one ``kind``, at most
        ``limit``), read from one consistent state of the database (appends made meanwhile are
        in neither)."""
        with self._database.snapshot() as conn:
            yield _read_head(conn), _stream(conn, since=since, limit=limit, kind=kind)

    def verify(self) -> VerificationResult:
        """Check every entry's hash, link and disclosures, that each stored payload is exactly
        the canonical text its hash covers, and that the chain ends at the recorded head."""
        with self._database.snapshot() as conn:
            recorded = _read_head(conn)
            return verify_chain(_stream(conn, since=1, strict=True), recorded_head=recorded)

    def lock_head(self, conn: Connection) -> ChainHead:
        """Take the ledger's head lock for the rest of ``conn``'s write transaction (as its
        first append would) and return the head; inside a :meth:`deferring` block, the
        block's head with its unwritten entries."""
        deferred: _Deferred | None = conn.info.get(_DEFERRED)
        if deferred is None:
            return lock_head(conn).head
        self._chain_waiting(conn, deferred)
        assert deferred.head is not None
        return deferred.head


@dataclass(frozen=True)
class _Prepared:
    """An item checked and sealed: the payload as chained, its canonical text and hash, and the
    disclosures of its sealed values (with each value's canonical text)."""

    kind: str
    payload_json: str
    payload: dict[str, Any]
    payload_hash: str
    disclosed: dict[str, Disclosure]
    disclosed_json: list[str]

    def disclosure_rows(self) -> list[tuple[str, str, str]]:
        """Each disclosure as stored: (pointer, salt, the value's canonical JSON)."""
        return [
            (where, found.salt, value_json)
            for (where, found), value_json in zip(
                self.disclosed.items(), self.disclosed_json, strict=True
            )
        ]


@dataclass
class _Chained:
    """Entries chained onto a head, as stored: the entries, their rows and disclosure rows,
    and the head after the last."""

    head: ChainHead
    entries: list[LedgerEntry] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    disclosures: list[dict[str, Any]] = field(default_factory=list)


def _append_in_database(
    conn: Connection,
    groups: list[list[_Prepared]],
    expected: Mapping[tuple[str, str], int | None],
    *,
    commit: bool,
) -> list[_Chained]:
    """``groups`` appended in order by the database in one call (PostgreSQL), once
    ``expected`` holds (else :class:`BatchRetry`); each group as chained there, chained again
    here from the head and stamp the call answers."""
    rows = BatchRows()
    for prepared in groups:
        for item in prepared:
            rows.kinds.append(item.kind)
            rows.payloads.append(item.payload_json)
            rows.payload_hashes.append(item.payload_hash)
            at = len(rows.kinds)
            rows.disclosures += [(at, *row) for row in item.disclosure_rows()]
    every = (item for prepared in groups for item in prepared)
    rows.index = ledger_index.latest_keys(
        (at, item.kind, item.payload) for at, item in enumerate(every, start=1)
    )
    appended = append_in_database(conn, rows, expected, commit=commit)
    head, chains = appended.before, []
    for prepared in groups:
        chains.append(_chain(head, prepared, appended.ts))
        head = chains[-1].head
    if head.hash != appended.after_hash:
        raise RuntimeError(
            f"the database chained entries {appended.before.seq + 1}-{head.seq} to hash"
            f" {appended.after_hash}, this process to {head.hash}"
        )
    return chains


def _chain(head: ChainHead, prepared: list[_Prepared], ts: str | None = None) -> _Chained:
    """``prepared`` numbered and hashed one after the other from ``head``, stamped ``ts``
    (by default now)."""
    chained = _Chained(head)
    ts = ts or _now()  # the entries of one append are appended at one moment
    for item in prepared:
        seq = head.seq + 1
        digest = entry_hash_v2(head.hash, seq, ts, item.kind, item.payload_hash)
        chained.entries.append(
            LedgerEntry(
                seq,
                ts,
                item.kind,
                item.payload,
                head.hash,
                digest,
                item.payload_hash,
                item.disclosed,
            )
        )
        chained.rows.append(
            {
                "seq": seq,
                "ts": ts,
                "kind": item.kind,
                "payload": item.payload_json,
                "prev_hash": head.hash,
                "hash": digest,
                "payload_hash": item.payload_hash,
            }
        )
        chained.disclosures += [
            {"seq": seq, "pointer": where, "salt": salt, "value": value_json}
            for where, salt, value_json in item.disclosure_rows()
        ]
        head = ChainHead(seq, digest)
    chained.head = head
    return chained


class LaterEntries:
    """The entries of :meth:`Ledger.append_later`, known once they are chained (at the latest
    when the deferring block writes them)."""

    def __init__(self) -> None:
        self._entries: list[LedgerEntry] | None = None

    @property
    def entries(self) -> list[LedgerEntry]:
        """The entries; RuntimeError before they are chained."""
        if self._entries is None:
            raise RuntimeError("these entries are not chained yet")
        return self._entries

    @entries.setter
    def entries(self, entries: list[LedgerEntry]) -> None:
        self._entries = entries


@dataclass
class _Deferred:
    """The appends of one :meth:`Ledger.deferring` block not written yet: ``head`` is the
    chain's head with them, ``written`` the head as stored (both None until the head lock is
    taken), ``keys`` the index keys they touch, ``expected`` the conditions to check before
    they are written (``checked``: those checked under the head lock already), ``frontier``
    the tree's at ``written`` when it was read with the lock."""

    ledger: Ledger
    head: ChainHead | None = None
    written: ChainHead | None = None
    chained: _Chained = field(default_factory=lambda: _Chained(ChainHead(0, "")))
    waiting: list[tuple[list[_Prepared], LaterEntries]] = field(default_factory=list)
    keys: set[tuple[str, str]] = field(default_factory=set)
    expected: dict[tuple[str, str], int | None] = field(default_factory=dict)
    checked: set[tuple[str, str]] = field(default_factory=set)
    frontier: Frontier | None = None
    busy: bool = False  # the block's own statements run: the hook stays out

    @property
    def unwritten(self) -> bool:
        """Entries wait to be chained or written."""
        return bool(self.waiting or self.chained.entries)

    def wait(self, prepared: list[_Prepared], later: LaterEntries) -> None:
        """Keep ``prepared`` to be chained later, for ``later``."""
        self.waiting.append((prepared, later))
        self.keys.update(ledger_index.latest_keys((0, p.kind, p.payload) for p in prepared))

    def add(self, chained: _Chained) -> None:
        """Take ``chained`` (chained onto :attr:`head`) as unwritten."""
        self.chained.entries += chained.entries
        self.chained.rows += chained.rows
        self.chained.disclosures += chained.disclosures
        self.chained.head = self.head = chained.head
        self.keys.update(
            ledger_index.latest_keys((e.seq, e.kind, e.payload) for e in chained.entries)
        )

    def clear(self) -> None:
        """Everything is written: nothing unwritten, no condition left to check."""
        assert self.head is not None
        self.chained = _Chained(self.head)
        self.keys.clear()
        self.expected.clear()
        self.checked.clear()
        self.frontier = None  # the tree grew: the appender remembers its own frontier


def _check(
    expected: Mapping[tuple[str, str], int | None], latest: Mapping[tuple[str, str], int]
) -> set[tuple[str, str]]:
    """The keys of ``expected``, once each is found as expected in ``latest`` (read under the
    head lock, so no other writer can change them before the block writes);
    :class:`BatchRetry` when one is not."""
    if any(latest.get(key) != seq for key, seq in expected.items()):
        raise BatchRetry("the ledger changed under a deferred append's condition")
    return set(expected)


def _write_deferred_first(conn: Connection, *_: Any) -> None:
    """Any statement run inside a :meth:`Ledger.deferring` block first writes the block's
    unwritten entries, so that whatever it reads or changes sees them."""
    deferred: _Deferred | None = conn.info.get(_DEFERRED)
    if deferred is not None and not deferred.busy and deferred.unwritten:
        deferred.ledger._write_deferred(conn, deferred)


def _salts() -> Iterator[str]:
    while True:
        # 128 random bits per salt, drawn 256 salts at a time.
        pool = secrets.token_hex(16 * 256)
        yield from (pool[start : start + 32] for start in range(0, len(pool), 32))


def _prepare(item: Item) -> _Prepared:
    record = item if isinstance(item, Record) else Record(item[0], item[1])
    kind, text, parsed = _checked(record.kind, record.payload)
    disclosed: dict[str, tuple[Disclosure, str]] = {}
    if record.sealed:
        # ``parsed`` was just read back from the canonical text: this entry's own copy.
        parsed, disclosed = seal(parsed, record.sealed, _salts())
        if disclosed:
            text = canonical_json_of_parsed(parsed)
    return _Prepared(
        kind,
        text,
        parsed,
        payload_digest(text),
        {where: found for where, (found, _) in disclosed.items()},
        [value_json for _, value_json in disclosed.values()],
    )


def _checked(kind: str, payload: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
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
    conn: Connection,
    *,
    since: int,
    limit: int | None = None,
    kind: str | None = None,
    strict: bool = False,
) -> Iterator[LedgerEntry]:
    after = since - 1
    remaining = limit
    while remaining is None or remaining > 0:
        batch = _READ_BATCH if remaining is None else min(_READ_BATCH, remaining)
        query = select(ledger_entries).where(ledger_entries.c.seq > after)
        if kind is not None:
            query = query.where(ledger_entries.c.kind == kind)
        rows = conn.execute(query.order_by(ledger_entries.c.seq).limit(batch)).all()
        yield from _entries(conn, rows, strict=strict)
        if len(rows) < batch:
            return
        after = int(rows[-1].seq)
        if remaining is not None:
            remaining -= len(rows)


def _stream_backwards(conn: Connection, *, kind: str | None) -> Iterator[LedgerEntry]:
    # Readers from the end usually want the newest match: small batches first, larger after.
    before: int | None = None
    batch = 1
    while True:
        query = select(ledger_entries)
        if before is not None:
            query = query.where(ledger_entries.c.seq < before)
        if kind is not None:
            query = query.where(ledger_entries.c.kind == kind)
        rows = conn.execute(query.order_by(ledger_entries.c.seq.desc()).limit(batch)).all()
        yield from _entries(conn, rows)
        if len(rows) < batch:
            return
        before = int(rows[-1].seq)
        batch = min(batch * 8, _READ_BATCH)


def _entries(conn: Connection, rows: Sequence[Any], *, strict: bool = False) -> list[LedgerEntry]:
    """Entries of ``rows`` with their disclosures, read in one query for the whole batch."""
    if not rows:
        return []
    # Disclosures open seals: an entry whose payload holds no seal mark has none to read
    # (verification still asks for every format-2 entry's, to find any that do not belong).
    sealed = [
        int(row.seq)
        for row in rows
        if row.payload_hash is not None and (strict or _SEAL_MARK in row.payload)
    ]
    disclosed: dict[int, dict[str, Disclosure]] = {}
    if sealed:
        found = conn.execute(
            select(ledger_disclosures).where(ledger_disclosures.c.seq.in_(sealed))
        ).all()
        for row in found:
            value = decode_value(row.value)
            disclosed.setdefault(int(row.seq), {})[row.pointer] = Disclosure(row.salt, value)
    return [_entry(row, disclosed.get(int(row.seq), {}), strict=strict) for row in rows]


def decode_value(text: str) -> Any:
    """A disclosed value from its stored canonical JSON (a changed row that is not JSON reads
    as the text itself, which then fails to match its seal)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _canonical_text(payload: dict[str, Any], text: str) -> bool:
    try:
        return canonical_json(payload) == text
    except ValueError:
        return False


def _entry(row: Any, disclosed: dict[str, Disclosure], *, strict: bool = False) -> LedgerEntry:
    payload = decode_payload(row.payload)
    problem = None
    if strict and payload is not None and not _canonical_text(payload, row.payload):
        # The hash covers the canonical text; a stored text that parses to the same payload but
        # is not that text (a key written twice, say) would read differently elsewhere.
        problem = f"entry {row.seq}: the stored payload is not in canonical form (it was changed)"
    return LedgerEntry(
        int(row.seq),
        row.ts,
        row.kind,
        payload,
        row.prev_hash,
        row.hash,
        row.payload_hash,
        disclosed,
        problem=problem,
    )

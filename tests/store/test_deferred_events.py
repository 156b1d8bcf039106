"""Events stored with a group-commit batch on the real databases: on PostgreSQL the batch's
pieces keep their event rows and the batch stores them in one statement before its ledger
entries take the head lock; rows that cannot be stored send the batch back to savepoints,
where only the piece that sent them fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, select

from assay.store import Store
from assay.store.events import EventRow
from assay.store.group_commit import GroupCommitter
from assay.store.schema import events
from tests.helpers.batches import one_batch
from tests.helpers.ledger_checks import assert_whole
from tests.helpers.wire import wire

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
PIECES = 6


def _row(number: int, body: str = "{}", kind: str = "audit") -> EventRow:
    return EventRow("test", f"e{number}", kind, 1_700_000_000.0 + number, None, None, "m", body)


def _batch(
    store: Store, works: list[Callable[[Connection], Any]]
) -> tuple[GroupCommitter, dict[int, BaseException]]:
    """``works`` as one batch of the store's own kind (ledger and events deferred)."""
    committer, _, errors = one_batch(store.database, store.deferring, works)
    return committer, errors


def _stored(store: Store) -> dict[str, str]:
    with store.database.reading() as conn:
        return {row.id: row.body for row in conn.execute(select(events.c.id, events.c.body))}


def _piece(store: Store, number: int, rows: list[EventRow]) -> Callable[[Connection], None]:
    def work(conn: Connection) -> None:
        store.ledger.append_later(conn, [("test.entry", {"n": number})])
        store.events.insert_later(conn, rows)

    return work


def test_a_batch_stores_its_events_in_one_statement(store: Store, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("an insert into SQLite is no round trip: each piece stores its own rows")
    works = [_piece(store, n, [_row(n, f'{{"piece":{n}}}')]) for n in range(PIECES)]
    works.append(_piece(store, PIECES, [_row(0, '{"piece":"again"}')]))  # a repeat: left out
    with wire(store.database) as sent_so_far:
        committer, errors = _batch(store, works)
        sent = sent_so_far()
    assert (errors, committer.retries) == ({}, 0)
    inserts = sent.count('INSERT INTO "events"') + sent.count("INSERT INTO events")
    assert inserts == 1, "seven pieces' events in one statement"
    # The lock is taken by the function that appends the batch (migration 0010).
    lock = sent.index("assay_ledger_append")
    assert sent.index('INSERT INTO "events"') < lock, "before the lock"
    assert _stored(store) == {f"e{n}": f'{{"piece":{n}}}' for n in range(PIECES)}
    assert store.ledger.count() == PIECES + 1
    assert_whole(store)


def test_events_that_cannot_be_stored_fail_their_piece_alone(
    store: Store, database_url: str
) -> None:
    works = [_piece(store, n, [_row(n)]) for n in range(PIECES)]
    if database_url.startswith("postgresql"):  # VARCHAR(40) holds on PostgreSQL only
        works[2] = _piece(store, 2, [_row(2, kind="x" * 41)])
    else:  # SQLite skips a row that breaks a constraint (INSERT OR IGNORE); not this
        works[2] = _piece(store, 2, [_row(2, body={"not": "text"})])  # type: ignore[arg-type]
    committer, errors = _batch(store, works)
    assert list(errors) == [2]
    assert committer.retries == 1
    assert sorted(_stored(store)) == sorted(f"e{n}" for n in range(PIECES) if n != 2)
    stored = [(entry.content or {})["n"] for entry in store.ledger.entries()]
    assert stored == [0, 1, 3, 4, 5], "the failed piece left nothing"
    assert_whole(store)


def test_outside_a_batch_events_are_stored_at_once(store: Store) -> None:
    with store.database.writing() as conn:
        store.events.insert_later(conn, [_row(1)])
        assert conn.execute(select(events.c.id)).scalars().all() == ["e1"]
    assert list(_stored(store)) == ["e1"]

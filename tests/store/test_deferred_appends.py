"""Deferred appends on the real databases: a group-commit batch chains its pieces' entries in
memory and writes them together; reads inside the batch see them; a piece that fails, or a
condition that no longer holds under the head lock, sends the batch back to savepoints, and
the chain stays whole."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, event

from assay.store import Store, ledger_index
from assay.store.audit_log import RUN, STATUS, AuditLog
from assay.store.group_commit import AfterCommit, BatchRetry, GroupCommitter
from tests.helpers.batches import one_batch
from tests.helpers.ledger_checks import assert_whole

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
THREADS = 8


def _status(number: int, target: str = "t") -> tuple[str, dict[str, Any]]:
    return ("audit.status", {"spec": "s", "target": target, "status": f"s{number}"})


def _batch(
    store: Store, works: list[Callable[[Connection], Any]]
) -> tuple[GroupCommitter, dict[int, Any], dict[int, BaseException]]:
    """``works`` as one batch of a committer deferring the ledger's appends."""
    return one_batch(store.database, store.ledger.deferring, works)


def _entry_inserts(store: Store) -> Callable[[], int]:
    """A counter of the inserts into ``ledger_entries`` from now on (on PostgreSQL one clause
    of the statement that writes the whole append)."""
    seen = [0]

    def count(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        seen[0] += statement.upper().replace('"', "").count("INSERT INTO LEDGER_ENTRIES")

    event.listen(store.database.engine, "before_cursor_execute", count)
    return lambda: seen[0]


def test_a_batch_writes_its_entries_with_one_insert(store: Store) -> None:
    inserts = _entry_inserts(store)

    def append(number: int) -> Callable[[Connection], list[int]]:
        return lambda conn: [
            e.seq for e in store.ledger.append_in(conn, [_status(number, f"t{number}")] * 3)
        ]

    committer, results, errors = _batch(store, [append(n) for n in range(THREADS)])
    assert errors == {}
    assert (committer.transactions, committer.retries) == (2, 0)
    assert inserts() == 1, "eight pieces' entries in one INSERT"
    for number in range(THREADS):  # in queue order, each piece's entries contiguous
        assert results[number] == [3 * number + 1, 3 * number + 2, 3 * number + 3]
    assert store.ledger.count() == 3 * THREADS
    with store.database.reading() as conn:  # the index points at each target's last status
        latest = ledger_index.latest_of(
            conn, [(STATUS, ledger_index.pair_key("s", f"t{n}")) for n in range(THREADS)]
        )
    assert sorted(latest.values()) == [3 * n + 3 for n in range(THREADS)]
    assert_whole(store)


def test_reads_inside_the_batch_see_its_unwritten_entries(store: Store) -> None:
    log = AuditLog(store.ledger)
    with store.database.reading() as conn:
        before = log.predecessors("s", "t", conn)
    seen: dict[str, Any] = {}

    def first(conn: Connection) -> int:
        assert log.predecessors_unchanged(before, conn), "a condition, not a read"
        return store.ledger.append_in(conn, [_status(1)])[0].seq

    def second(conn: Connection) -> int:
        # The first piece's status is not written yet: this piece's check cannot be a
        # condition; its read writes the first's entries, then sees them.
        seen["unchanged"] = log.predecessors_unchanged(before, conn)
        seen["status"] = log.predecessors("s", "t", conn).status
        return store.ledger.append_in(conn, [_status(2)])[0].seq

    committer, results, errors = _batch(store, [first, second])
    assert errors == {}
    assert committer.retries == 0
    assert results == {-1: None, 0: 1, 1: 2}
    assert seen["unchanged"] is False
    assert (seen["status"] or {}).get("status") == "s1"
    assert_whole(store)


@pytest.mark.parametrize("read_first", [False, True])
def test_a_failing_piece_sends_the_batch_to_savepoints(store: Store, read_first: bool) -> None:
    def append(number: int) -> Callable[[Connection], int]:
        def work(conn: Connection) -> int:
            seq = store.ledger.append_in(conn, [_status(number, f"t{number}")])[0].seq
            if number == 2:
                if read_first:  # writes the batch's entries so far, inside this piece
                    store.ledger.entries_at(conn, [seq])
                raise ValueError("two refuses")
            return seq

        return work

    committer, results, errors = _batch(store, [append(n) for n in range(5)])
    assert committer.retries == 1
    assert {n: str(error) for n, error in errors.items()} == {2: "two refuses"}
    assert [results[n] for n in (0, 1, 3, 4)] == [1, 2, 3, 4]
    stored = [(e.content or {})["status"] for e in store.ledger.entries()]
    assert stored == ["s0", "s1", "s3", "s4"], "the failed piece left nothing"
    assert_whole(store)


def test_a_condition_broken_before_the_lock_rolls_everything_back(
    store: Store, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("on SQLite a write transaction holds the lock from its start")
    key = ledger_index.pair_key("s", "t")

    def store_meanwhile() -> None:
        with store.database.writing() as conn, store.ledger.deferring(conn):
            assert store.ledger.expect_latest(conn, {(RUN, key): None, (STATUS, key): None})
            # Another writer stores a status of the same pair before this one locks the head.
            store.ledger.append_many([_status(0)])
            store.ledger.append_in(conn, [_status(1)])

    with pytest.raises(BatchRetry):
        store_meanwhile()
    assert [(e.content or {})["status"] for e in store.ledger.entries()] == ["s0"]
    assert_whole(store)


def test_a_condition_is_not_taken_outside_a_block_or_for_a_touched_key(store: Store) -> None:
    key = (STATUS, ledger_index.pair_key("s", "t"))
    with store.database.writing() as conn:
        assert not store.ledger.expect_latest(conn, {key: None})
        with store.ledger.deferring(conn):
            assert store.ledger.expect_latest(conn, {key: None})
            assert not store.ledger.expect_latest(conn, {key: 5}), "contradicts the first"
            store.ledger.append_in(conn, [_status(1)])
            assert not store.ledger.expect_latest(conn, {key: 1}), "an unwritten entry's key"
    assert store.ledger.count() == 1
    assert_whole(store)


def test_late_appends_are_numbered_when_written_in_the_order_of_the_calls(
    store: Store, database_url: str
) -> None:
    with store.database.writing() as conn, store.ledger.deferring(conn):
        first = store.ledger.append_later(conn, [_status(1), _status(2)])
        with pytest.raises(RuntimeError, match="not chained yet"):
            _ = first.entries
        if not database_url.startswith("sqlite"):
            # Not locked yet: another writer appends meanwhile, and goes first.
            other = threading.Thread(target=store.ledger.append_many, args=([_status(0, "x")],))
            other.start()
            other.join(20)
            assert not other.is_alive(), "the head was locked before the entries were written"
        middle = store.ledger.append_in(conn, [_status(3)])  # chains what waits, then itself
        last = store.ledger.append_later(conn, [_status(4)])
        store.ledger.entries_at(conn, [1])  # a read: everything is chained and written first
        assert [e.seq for e in last.entries] == [middle[0].seq + 1]
    offset = 0 if database_url.startswith("sqlite") else 1
    assert [e.seq for e in first.entries] == [1 + offset, 2 + offset]
    assert middle[0].seq == 3 + offset
    stored = [(e.content or {})["status"] for e in store.ledger.entries()]
    assert stored == ["s0"] * offset + ["s1", "s2", "s3", "s4"]
    assert_whole(store)


def test_a_batch_of_late_appends_answers_each_caller_after_the_commit(store: Store) -> None:
    def append(number: int) -> Callable[[Connection], AfterCommit[list[int]]]:
        def work(conn: Connection) -> AfterCommit[list[int]]:
            later = store.ledger.append_later(conn, [_status(number, f"t{number}")] * 2)
            return AfterCommit(lambda: [entry.seq for entry in later.entries])

        return work

    committer, results, errors = _batch(store, [append(n) for n in range(THREADS)])
    assert errors == {}
    assert committer.retries == 0
    for number in range(THREADS):
        assert results[number] == [2 * number + 1, 2 * number + 2]
    assert_whole(store)


def test_a_lone_runs_predecessor_check_holds_the_head_lock(store: Store, database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("on SQLite a write transaction holds the lock from its start")
    log = AuditLog(store.ledger)
    with store.database.reading() as conn:
        before = log.predecessors("s", "t", conn)
    other = threading.Thread(target=store.ledger.append_many, args=([_status(0)],))
    with store.database.writing() as conn:
        assert log.predecessors_unchanged(before, conn)
        # Checked outside a deferring block: the lock is held from the check to the commit,
        # so another writer cannot store a run between them.
        other.start()
        other.join(2)
        assert other.is_alive(), "another writer appended between the check and the commit"
        store.ledger.append_in(conn, [_status(1)])
    other.join(30)
    assert [(e.content or {})["status"] for e in store.ledger.entries()] == ["s1", "s0"]
    assert_whole(store)

"""Group commit on the real databases: work of concurrent threads shares one transaction,
each piece in a savepoint — one that fails is undone alone, its caller gets its error, the
others are stored — and the chain stays whole."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import Connection

from assay.store import Store
from assay.store.group_commit import AfterCommit, GroupCommitter
from assay.store.ledger import Item
from tests.helpers.ledger_checks import assert_whole
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
THREADS = 12


def test_concurrent_work_commits_together_and_a_failure_stays_its_own(store: Store) -> None:
    committer = GroupCommitter(store.database)
    first_is_writing = threading.Event()
    release = threading.Event()
    results: dict[int, list[int]] = {}
    errors: dict[int, BaseException] = {}

    def work(number: int) -> None:
        def append(conn: Connection) -> list[int]:
            entries = store.ledger.append_in(
                conn, [("test.entry", {"n": number, "part": part}) for part in range(3)]
            )
            if number == 0:  # the first leader holds its batch open until the others queue
                first_is_writing.set()
                release.wait(30)
            if number == 5:
                raise ValueError("five refuses")
            return [entry.seq for entry in entries]

        try:
            results[number] = committer.run(append)
        except ValueError as error:
            errors[number] = error

    first = threading.Thread(target=work, args=(0,))
    first.start()
    assert first_is_writing.wait(30)
    others = [threading.Thread(target=work, args=(n,)) for n in range(1, THREADS)]
    for thread in others:
        thread.start()
    wait_for(lambda: committer.waiting == THREADS - 1)
    release.set()
    for thread in (first, *others):
        thread.join(60)

    assert committer.transactions == 2, "the eleven queued behind the first share one"
    assert set(errors) == {5}
    assert str(errors[5]) == "five refuses"
    assert set(results) == set(range(THREADS)) - {5}
    for seqs in results.values():  # each caller's entries are contiguous
        assert seqs == list(range(seqs[0], seqs[0] + 3))
    stored = list(store.ledger.entries())
    assert len(stored) == 3 * (THREADS - 1)
    assert sorted(s for seqs in results.values() for s in seqs) == [e.seq for e in stored]
    assert all((e.content or {})["n"] != 5 for e in stored), "the failed work left nothing"
    assert store.ledger.verify().ok


def test_alone_the_work_runs_in_a_plain_transaction(store: Store) -> None:
    committer = GroupCommitter(store.database)
    seq = committer.run(lambda conn: store.ledger.append_in(conn, [("test.entry", {})])[0].seq)
    assert seq == 1

    def append_then_fail(conn: Connection) -> None:
        store.ledger.append_in(conn, [("test.entry", {})])
        raise KeyError("x")

    with pytest.raises(KeyError):
        committer.run(append_then_fail)
    assert committer.transactions == 2
    assert store.ledger.count() == 1
    assert store.ledger.verify().ok


def test_alone_with_deferring_the_work_is_deferred_and_its_failure_its_own(store: Store) -> None:
    """A lone piece runs in the deferring context as a batch does (its appends written
    together, the head lock taken only then); failing there, it runs again in a plain
    transaction, where its own error reaches its caller and nothing of it is stored."""
    entered: list[int] = []

    def deferring(conn: Connection):  # type: ignore[no-untyped-def]
        entered.append(1)
        return store.ledger.deferring(conn)

    committer = GroupCommitter(store.database, deferring=deferring)
    made: list[int] = committer.run(partial(_append_later, store, [("test.entry", {"n": 1})]))
    assert made == [1]
    assert entered == [1]
    assert committer.transactions == 1

    def append_then_fail(conn: Connection) -> None:
        store.ledger.append_later(conn, [("test.entry", {"n": 2})])
        raise KeyError("two refuses")

    with pytest.raises(KeyError, match="two refuses"):
        committer.run(append_then_fail)
    assert entered == [1, 1]
    assert committer.retries == 1
    assert [(e.content or {})["n"] for e in store.ledger.entries()] == [1]
    assert store.ledger.verify().ok


def _from_threads(append: Callable[[int, int], list[int]]) -> list[int]:
    """``append(thread, round)`` five rounds in each of THREADS threads started together: the
    seqs of the entries they appended."""
    barrier = threading.Barrier(THREADS)
    seqs: list[int] = []

    def work(number: int) -> None:
        barrier.wait(30)
        for round_ in range(5):
            seqs.extend(append(number, round_))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return seqs


def _assert_one_chain(store: Store, seqs: list[int]) -> None:
    """Every entry appended once, the chain verifying, the stored Merkle tree following it."""
    assert sorted(seqs) == list(range(1, len(seqs) + 1))
    assert_whole(store)


def test_many_threads_pushing_at_once_keep_one_chain(store: Store) -> None:
    committer = GroupCommitter(store.database)

    def append(number: int, round_: int) -> list[int]:
        items: list[Item] = [("test.entry", {"n": number, "round": round_})] * 2
        entries = committer.run(partial(store.ledger.append_in, items=items))
        return [entry.seq for entry in entries]

    seqs = _from_threads(append)
    assert len(seqs) == THREADS * 5 * 2
    assert committer.transactions <= THREADS * 5
    _assert_one_chain(store, seqs)


def _append_later(store: Store, items: list[Item], conn: Connection) -> AfterCommit[list[int]]:
    later = store.ledger.append_later(conn, items)
    return AfterCommit(lambda: [entry.seq for entry in later.entries])


def test_the_stores_own_committer_keeps_one_chain_with_batches_overlapping(store: Store) -> None:
    """``store.together`` as the server uses it: appends made late in deferred batches, and on
    PostgreSQL the next batch running while the one before commits."""
    assert store.together._overlap == (2 if store.database.dialect == "postgresql" else 1)

    def append(number: int, round_: int) -> list[int]:
        items: list[Item] = [("test.entry", {"n": number, "round": round_})] * 3
        mine: list[int] = store.together.run(partial(_append_later, store, items))
        assert mine == list(range(mine[0], mine[0] + 3)), "a caller's entries are contiguous"
        return mine

    seqs = _from_threads(append)
    assert len(seqs) == THREADS * 5 * 3
    _assert_one_chain(store, seqs)

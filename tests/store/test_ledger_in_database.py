"""Appends run inside PostgreSQL by ``assay_ledger_append`` (migration 0010): the database
chains, stamps and builds the tree exactly as the Python oracle does, checks a deferred
batch's conditions under its lock, and takes the transaction's COMMIT in the same round trip."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from sqlalchemy import Connection

from assay.store import Store, ledger_index
from assay.store.audit_log import RUN, STATUS
from assay.store.group_commit import AfterCommit, BatchRetry
from assay.store.ledger import LaterEntries, Record
from tests.helpers.ledger_checks import assert_whole
from tests.helpers.wire import client_messages, wire

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def _status(number: int, target: str = "t") -> tuple[str, dict[str, Any]]:
    return (STATUS, {"spec": "s", "target": target, "status": f"s{number}"})


def test_what_the_database_chains_is_what_python_chains(store: Store) -> None:
    returned = []
    for size in (1, 2, 5, 1, 8, 17, 3, 31, 64):  # the tree's frontier changes shape each time
        items: list[Any] = [("test.entry", {"n": n, "text": 'é\u2028"\\'}) for n in range(size)]
        items[0] = Record("test.secret", {"value": size, "note": "x"}, sealed=[("value",)])
        returned += store.ledger.append_many(items)
    stored = list(store.ledger.entries())
    assert [(e.seq, e.ts, e.prev_hash, e.hash) for e in returned] == [
        (e.seq, e.ts, e.prev_hash, e.hash) for e in stored
    ]
    assert [e.seq for e in stored] == list(range(1, 133))
    assert all(_STAMP.match(e.ts) for e in stored)
    assert [e.ts for e in stored] == sorted(e.ts for e in stored)
    assert stored[0].disclosed["/value"].value == 1
    assert_whole(store)  # the chain verifies; the stored tree's root is the oracle's


def test_the_commit_goes_out_with_the_call(store: Store) -> None:
    def push(number: int) -> Any:
        def work(conn: Connection) -> AfterCommit[list[int]]:
            later = store.ledger.append_later(conn, [_status(number, f"t{number}")])
            return AfterCommit(lambda: [entry.seq for entry in later.entries])

        return work

    with wire(store.database) as sent_so_far:
        seqs = store.together.run(push(1))
        sent = sent_so_far()
    assert seqs == [1]
    client = client_messages(sent)
    call = next(n for n, line in enumerate(client) if "assay_ledger_append" in line)
    sync = next(n for n, line in enumerate(client) if n > call and line.endswith("\tSync"))
    commits = [n for n, line in enumerate(client) if '"COMMIT"' in line]
    assert len(commits) == 1, "the transaction's own commit sends nothing more"
    assert call < commits[0] < sync, "the COMMIT goes before the pipeline's one sync"
    assert [e.seq for e in store.ledger.entries()] == [1]
    assert_whole(store)


def test_a_condition_broken_before_the_lock_is_a_retry_and_stores_nothing(store: Store) -> None:
    key = ledger_index.pair_key("s", "t")
    waiting: list[LaterEntries] = []

    def store_meanwhile() -> None:
        with store.database.writing() as conn, store.ledger.deferring(conn, ends_transaction=True):
            assert store.ledger.expect_latest(conn, {(RUN, key): None, (STATUS, key): None})
            waiting.append(store.ledger.append_later(conn, [_status(1)]))
            # Another writer stores a status of the same pair before this block locks the head.
            other = threading.Thread(target=store.ledger.append_many, args=([_status(0)],))
            other.start()
            other.join(20)
            assert not other.is_alive(), "the head was locked before the block's end"

    with pytest.raises(BatchRetry):
        store_meanwhile()
    (later,) = waiting
    with pytest.raises(RuntimeError, match="not chained yet"):
        _ = later.entries
    assert [(e.content or {})["status"] for e in store.ledger.entries()] == ["s0"]
    store.ledger.append_many([_status(2)])  # the pool's connection is clean again
    assert [e.seq for e in store.ledger.entries()] == [1, 2]
    assert_whole(store)


def test_a_condition_that_holds_is_checked_and_the_index_moves(store: Store) -> None:
    key = ledger_index.pair_key("s", "t")
    (first,) = store.ledger.append_many([_status(0)])
    with store.database.writing() as conn, store.ledger.deferring(conn, ends_transaction=True):
        assert store.ledger.expect_latest(conn, {(STATUS, key): first.seq, (RUN, key): None})
        later = store.ledger.append_later(conn, [_status(1), ("test.entry", {}), _status(2)])
    assert [e.seq for e in later.entries] == [2, 3, 4]
    with store.database.reading() as conn:
        assert ledger_index.latest_of(conn, [(STATUS, key)]) == {(STATUS, key): 4}
    assert_whole(store)


def test_a_database_that_chains_differently_is_refused_and_nothing_is_stored(
    store: Store,
) -> None:
    store.ledger.append_many([("test.entry", {"n": 0})])
    with store.database.writing() as conn:
        definition = conn.exec_driver_sql(
            "SELECT pg_get_functiondef('assay_ledger_append'::regproc)"
        ).scalar_one()
        # A function whose hashes are not entry_hash_v2's: a space after one colon.
        altered = definition.replace('\'","payload_hash":"\'', '\'","payload_hash": "\'')
        assert altered != definition
        conn.exec_driver_sql(altered)
    with pytest.raises(RuntimeError, match="chained entries 2-3 to hash"):
        store.ledger.append_many([("test.entry", {"n": 1}), ("test.entry", {"n": 2})])
    assert [e.seq for e in store.ledger.entries()] == [1]
    assert_whole(store)

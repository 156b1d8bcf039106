"""Overlapping batches: with ``overlap=2`` the next batch's pieces run while the batch before
is still open (writing and committing on its own connection). On PostgreSQL only: there the
store uses it; on SQLite a second write transaction would wait at its BEGIN."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import pytest
from sqlalchemy import Connection

from assay.store import Store
from assay.store.group_commit import GroupCommitter
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _number(number: int, conn: Connection) -> int:
    return number


def test_with_overlap_the_next_batch_runs_while_the_one_before_is_open(store: Store) -> None:
    """A batch whose pieces have run lets the next one start before it commits; with an
    overlap of 1 the next batch would wait for that commit (here: for ever)."""
    first_open, second_ran, plug = threading.Event(), threading.Event(), threading.Event()
    waited: list[bool] = []

    entered: list[bool] = []

    @contextmanager
    def hold_the_first_batch_open(conn: Connection) -> Iterator[None]:
        first = not entered
        entered.append(True)
        yield
        if first:
            first_open.set()
            waited.append(second_ran.wait(20))

    committer = GroupCommitter(store.database, deferring=hold_the_first_batch_open, overlap=2)

    def plugged(conn: Connection) -> str:
        plug.wait(30)
        return "plug"

    runs: list[threading.Thread] = [
        threading.Thread(target=committer.run, args=(plugged,)),
        *(threading.Thread(target=committer.run, args=(partial(_number, n),)) for n in range(2)),
    ]
    runs[0].start()
    wait_for(lambda: committer._running is not None)
    for thread in runs[1:]:  # queued behind the plug: the two make one deferred batch
        thread.start()
    wait_for(lambda: committer.waiting == 2)
    plug.set()
    assert first_open.wait(30)
    wait_for(lambda: committer.waiting == 0)  # the two taken: the next piece is a batch alone
    assert committer.run(lambda conn: second_ran.set()) is None
    for thread in runs:
        thread.join(30)
    assert waited == [True]
    assert committer.transactions == 3

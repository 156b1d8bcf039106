"""One group-commit batch made of chosen pieces of work, on a real database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import Connection

from assay.store.database import Database
from assay.store.group_commit import Deferring, GroupCommitter
from tests.helpers.waiting import wait_for


def one_batch(
    database: Database, deferring: Deferring, works: list[Callable[[Connection], Any]]
) -> tuple[GroupCommitter, dict[int, Any], dict[int, BaseException]]:
    """Run ``works`` through a committer with ``deferring``, all but the first queued while
    the first holds its (lone) batch open, so that they make up one batch of their own: the
    committer, and each piece's result and error by its place (the holding piece is -1)."""
    committer = GroupCommitter(database, deferring=deferring)
    holding, release = threading.Event(), threading.Event()
    results: dict[int, Any] = {}
    errors: dict[int, BaseException] = {}

    def hold(conn: Connection) -> None:
        holding.set()
        release.wait(30)

    def run(number: int, work: Callable[[Connection], Any]) -> None:
        try:
            results[number] = committer.run(work)
        except Exception as error:
            errors[number] = error

    first = threading.Thread(target=run, args=(-1, hold))
    first.start()
    assert holding.wait(30)
    threads = []
    for number, work in enumerate(works):  # queued in this order
        thread = threading.Thread(target=run, args=(number, work))
        thread.start()
        threads.append(thread)
        wait_for(partial(_queued, committer, number + 1))
    release.set()
    for thread in (first, *threads):
        thread.join(60)
    return committer, results, errors


def _queued(committer: GroupCommitter, count: int) -> bool:
    return committer.waiting == count

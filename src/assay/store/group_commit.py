"""Group commit: the write transactions of many threads run as one database transaction with
one commit, each in a savepoint of its own.

Every ledger append takes the chain's head lock until its transaction commits, so concurrent
writers queue behind each other's commit (on PostgreSQL, a WAL flush each). Here the first
waiting thread becomes the leader: it takes every piece of work queued so far, runs them in
order inside one transaction — each in a savepoint, so that one that fails is undone alone
and its caller gets its error — commits once, and hands each caller its result. Threads that
arrive meanwhile queue for the next batch, whose leader is one of them. Nothing waits for a
batch to fill: under no load a batch is the one piece of work (then without a savepoint).

Given a ``deferring`` context (the ledger's :meth:`~assay.store.ledger.Ledger.deferring`), a
batch, even of one piece, first runs without savepoints inside it, so that its pieces' appends
are written together (a few statements for the batch instead of several per piece; with
``append_later`` the head lock is taken only for that writing, so a lone piece no longer holds
it while it runs). Should any piece fail there, or the context raise :class:`BatchRetry`, the
whole transaction is rolled back and the batch runs again the way above, each piece in its
savepoint: a failure still undoes only its own piece.

A caller's result is returned only after the commit that stored it; if that commit fails,
every caller of the batch gets the error and nothing of the batch is stored.

With ``overlap`` above 1, the next batch starts as soon as the previous one's pieces have run,
while that one still writes and commits (on its own connection): the pieces of one batch run
while the database stores the other, instead of every thread of the process waiting for the
commit. Batches still reach the ledger one at a time, in the order its head lock gives them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from assay.store.database import Database

__all__ = ["AfterCommit", "BatchRetry", "GroupCommitter"]

T = TypeVar("T")
MAX_BATCH = 64


class BatchRetry(Exception):
    """A batch run without savepoints cannot be stored as it is: roll it back and run it again,
    each piece in a savepoint of its own."""


Deferring = Callable[[Connection], AbstractContextManager[object]]


@dataclass(frozen=True)
class AfterCommit(Generic[T]):
    """What a piece of work returns when its result can be made only from what its batch's
    commit fixed (such as the numbers of ledger entries appended late): ``make`` is called,
    in the caller's thread, once the batch is committed."""

    make: Callable[[], T]


@dataclass
class _Work(Generic[T]):
    work: Callable[[Connection], T | AfterCommit[T]]
    result: Any = None
    error: BaseException | None = None
    taken: bool = False  # into a batch, by its leader
    done: bool = False
    # Set to wake this piece's thread alone: a thread per batch waits, not all of them at once.
    wake: threading.Event = field(default_factory=threading.Event)

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        if isinstance(self.result, AfterCommit):
            made: T = self.result.make()
            return made
        result: T = self.result
        return result


class GroupCommitter:
    """Runs write transactions of this process's threads together (see the module)."""

    def __init__(
        self,
        database: Database,
        max_batch: int = MAX_BATCH,
        deferring: Deferring | None = None,
        overlap: int = 1,
    ) -> None:
        self._database = database
        self._max_batch = max_batch
        self._deferring = deferring
        self._overlap = overlap
        self._lock = threading.Lock()
        self._queue: list[_Work[Any]] = []
        self._running: object | None = None  # the batch whose pieces run now
        self._open = 0  # batches started and not yet committed or rolled back
        self.transactions = 0  # committed or not, for the curious (and the tests)
        self.retries = 0  # batches run again in savepoints after a deferred try

    @property
    def waiting(self) -> int:
        """Pieces of work queued for the next batch."""
        with self._lock:
            return len(self._queue)

    def run(self, work: Callable[[Connection], T | AfterCommit[T]]) -> T:
        """``work(conn)`` inside a write transaction (with others' work), its result once
        committed (an :class:`AfterCommit` result made then); its exception if it raised (its
        writes undone, the others' kept)."""
        mine: _Work[T] = _Work(work)
        with self._lock:
            self._queue.append(mine)
        while True:
            with self._lock:
                if mine.done:
                    return mine.outcome()
                leads = not mine.taken and self._running is None and self._open < self._overlap
                if leads:
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                    for queued in batch:
                        queued.taken = True
                    self._running = running = object()
                    self._open += 1
                else:
                    mine.wake.clear()
            if not leads:
                # Woken when its batch is done, or, first in the queue, when it may lead.
                mine.wake.wait()
                continue
            ran = partial(self._pieces_ran, running)
            try:
                self._commit(batch, ran)
            finally:
                ran()
                with self._lock:
                    self._open -= 1
                    for queued in batch:
                        queued.wake.set()
                    self._wake_next_leader()

    def _wake_next_leader(self) -> None:
        """Wake the first queued piece's thread: it leads the next batch (the lock is held)."""
        if self._queue:
            self._queue[0].wake.set()

    def _pieces_ran(self, running: object) -> None:
        """The pieces of the batch ``running`` names have run: the next batch may start."""
        with self._lock:
            if self._running is running:
                self._running = None
                self._wake_next_leader()

    def _commit(self, batch: list[_Work[Any]], ran: Callable[[], None]) -> None:
        self.transactions += 1
        try:
            if self._deferring is not None:
                try:
                    self._run_deferred(batch, self._deferring, ran)
                    return
                except BatchRetry:
                    self.retries += 1
                    self.transactions += 1
                    for queued in batch:
                        queued.result, queued.error = None, None
            self._run_in_savepoints(batch, ran)
        except BaseException as error:  # the transaction or its commit failed: nothing stored
            for queued in batch:
                if queued.error is None:
                    queued.error = error
                    queued.result = None
            if not isinstance(error, Exception):
                raise
        finally:
            for queued in batch:
                queued.done = True

    def _run_deferred(
        self, batch: list[_Work[Any]], deferring: Deferring, ran: Callable[[], None]
    ) -> None:
        with self._database.writing() as conn, deferring(conn):
            for queued in batch:
                try:
                    queued.result = queued.work(conn)
                except Exception as error:  # not undone alone here: all again, in savepoints
                    raise BatchRetry(f"a piece of the batch failed: {error}") from error
            ran()

    def _run_in_savepoints(self, batch: list[_Work[Any]], ran: Callable[[], None]) -> None:
        with self._database.writing() as conn:
            if len(batch) == 1:
                only = batch[0]
                only.result = only.work(conn)
                ran()
                return
            for queued in batch:
                try:
                    with conn.begin_nested():
                        queued.result = queued.work(conn)
                except Exception as error:  # its own error, for its own caller
                    queued.error = error
            ran()

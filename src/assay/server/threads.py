"""The threads the server's blocking work runs in: the database reads and writes of a request
leave the event loop for a pool of this process's threads.

Starlette's ``run_in_threadpool`` (anyio's ``to_thread.run_sync``) costs about three times
the CPU the event loop's own executor does for each hand-over: its capacity limiter and
cancellation checkpoints take extra turns of the loop. The executor in turn makes a
:class:`concurrent.futures.Future` per call, with its condition variable and lock, and
chains it to an asyncio future through two more callbacks. :func:`in_thread` does neither:
the call goes on a queue with the loop's own future, one of this process's threads takes it,
runs it and sets the future through the loop (``call_soon_threadsafe``). It keeps what the
executor gave: the caller's context variables go with the call, the call's exception comes
back, at most :data:`THREADS` calls run at once, and a call runs to its end however its
awaiting task ends (benchmarks/README.md, "Evidence pushes by a lane of their own" and
"One queue for the hand-overs"). :func:`in_thread_endpoint` makes a plain endpoint a coroutine
that hands itself over, so that FastAPI neither hands it over itself nor validates its answer
in yet another thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

__all__ = ["THREADS", "in_thread", "in_thread_endpoint"]

P = ParamSpec("P")
T = TypeVar("T")

# As many as anyio lends by default: each waiting push holds one while its batch commits.
THREADS = 40

_Call = tuple[
    asyncio.AbstractEventLoop,
    "asyncio.Future[Any]",
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
    dict[str, Any],
]


class _Pool:
    """:data:`THREADS` threads taking calls from one queue, started together at first use."""

    def __init__(self) -> None:
        self.calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def put(self, call: _Call) -> None:
        if not self._threads:
            self._start()
        self.calls.put(call)

    def _start(self) -> None:
        with self._lock:
            if self._threads:
                return
            # As concurrent.futures does: at interpreter exit, before threads are joined, the
            # threads finish the calls already queued and then stop.
            threading._register_atexit(self._stop)  # type: ignore[attr-defined]
            for number in range(THREADS):
                thread = threading.Thread(target=self._serve, name=f"assay-io_{number}")
                thread.start()
                self._threads.append(thread)  # only started ones: each gets its stop at exit

    def _stop(self) -> None:
        for _ in self._threads:
            self.calls.put(None)

    def _serve(self) -> None:
        while (call := self.calls.get()) is not None:
            loop, future, context, function, args, kwargs = call
            del call  # nothing of a finished call stays referenced while the thread waits
            try:
                result, error = context.run(function, *args, **kwargs), None
            except BaseException as raised:  # the caller's to handle, as with an executor
                result, error = None, raised
            with contextlib.suppress(RuntimeError):  # a closed loop: no one awaits the call
                loop.call_soon_threadsafe(_settle, future, result, error)
            del loop, future, context, function, args, kwargs, result, error


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the awaiting task was cancelled while the call ran
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


_pool = _Pool()


def _new_pool_in_child() -> None:
    global _pool
    _pool = _Pool()  # a forked child has none of its parent's threads


os.register_at_fork(after_in_child=_new_pool_in_child)


async def in_thread(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)`` run in one of this process's threads, in a copy of the
    caller's context variables; its result, or its exception raised here. At most
    :data:`THREADS` calls run at once; others wait their turn. The call runs to its end even
    if the awaiting task is cancelled meanwhile."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    _pool.put((loop, future, contextvars.copy_context(), function, args, kwargs))
    return await future


def in_thread_endpoint(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """``endpoint`` itself when it is a coroutine function; otherwise a coroutine function of
    the same name, signature and documentation that runs it with :func:`in_thread`."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    async def threaded(*args: Any, **kwargs: Any) -> Any:
        return await in_thread(endpoint, *args, **kwargs)

    return threaded

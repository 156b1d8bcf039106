"""The threads the server's blocking work runs in: the database reads and writes of a request
leave the event loop for a pool of this process's threads.

Starlette's ``run_in_threadpool`` (anyio's ``to_thread.run_sync``) costs about three times
the CPU the event loop's own executor does for each hand-over: its capacity limiter and
cancellation checkpoints take extra turns of the loop. A push to the Audit API made three such
hand-overs (the token, the endpoint, the answer's validation): 15% of a worker's samples under
load (benchmarks/README.md, "Evidence pushes by a lane of their own"). :func:`in_thread`
hands work to a :class:`~concurrent.futures.ThreadPoolExecutor` through the loop's
``run_in_executor``, in a copy of the caller's context variables as anyio does;
:func:`in_thread_endpoint` makes a plain endpoint a coroutine that does so, so that FastAPI
neither hands it over itself nor validates its answer in yet another thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

__all__ = ["THREADS", "in_thread", "in_thread_endpoint"]

P = ParamSpec("P")
T = TypeVar("T")

# As many as anyio lends by default: each waiting push holds one while its batch commits.
THREADS = 40

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """This process's pool, made at first use (a worker process makes its own)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="assay-io")
    return _pool


async def in_thread(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)`` run in one of this process's threads, in a copy of the
    caller's context variables; its result, or its exception raised here. The call runs to its
    end even if the awaiting task is cancelled meanwhile."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await loop.run_in_executor(_executor(), call)


def in_thread_endpoint(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """``endpoint`` itself when it is a coroutine function; otherwise a coroutine function of
    the same name, signature and documentation that runs it with :func:`in_thread`."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    async def threaded(*args: Any, **kwargs: Any) -> Any:
        return await in_thread(endpoint, *args, **kwargs)

    return threaded

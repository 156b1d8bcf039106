"""Several server processes (``assay serve --workers N``), each accepting connections on a
socket of its own at the server's address (``SO_REUSEPORT``), so that the kernel spreads new
connections evenly over them.

With one listening socket shared by every worker, the first process to wake accepts all the
connections waiting: 32 clients connecting at once left one of two workers with nearly all of
them (89-93% of a core against 11-13%, benchmarks/README.md), and the pushes those clients
then sent were served by one process. The parent keeps the port (a socket bound but not
listening), starts the workers, restarts one that dies, and stops them all on SIGINT or
SIGTERM; a worker whose parent is killed stops by itself.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

__all__ = ["serve_workers"]

_spawn = multiprocessing.get_context("spawn")
_STOP_SECONDS = 30.0  # how long a worker may take to finish its requests when stopped
_RESTART_SECONDS = 1.0  # a worker that keeps dying is restarted at most this often


def serve_workers(target: str, kept: socket.socket, workers: int) -> None:
    """Serve the ASGI application factory ``target`` (``module:function``) from ``workers``
    processes, each listening at the address of ``kept`` (a socket from
    :func:`assay.server.listening.listen` made ``shared``), until this process gets SIGINT or
    SIGTERM; a worker that exits meanwhile is started again."""
    family, address = kept.family, kept.getsockname()[:2]
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        running = [_start(target, family, address) for _ in range(workers)]
        while not stopping.is_set():
            wait([process.sentinel for process in running], timeout=0.5)
            for index, process in enumerate(running):
                if process.is_alive() or stopping.is_set():
                    continue
                print(
                    f"assay: worker {process.pid} exited ({process.exitcode}); starting another",
                    file=sys.stderr,
                )
                time.sleep(_RESTART_SECONDS)
                running[index] = _start(target, family, address)
        _stop_all(running)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _start(target: str, family: int, address: tuple[str, int]) -> BaseProcess:
    process = _spawn.Process(target=_serve, args=(target, family, address), daemon=False)
    process.start()
    return process


def _stop_all(running: list[BaseProcess]) -> None:
    """SIGTERM to each worker (uvicorn then finishes the requests it holds), SIGKILL to one
    still there after :data:`_STOP_SECONDS`."""
    for process in running:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_SECONDS
    for process in running:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _serve(target: str, family: int, address: tuple[str, int]) -> None:
    """One worker: its own listening socket at ``address``, uvicorn serving ``target`` on it."""
    import uvicorn

    from assay.server.listening import listen_beside

    sock = listen_beside(family, address)
    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), daemon=True).start()
    config = uvicorn.Config(target, factory=True, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


def _stop_when_orphaned(parent: int) -> None:
    """A worker whose parent is gone (killed without a chance to stop it) stops itself within
    a second, rather than serve on unsupervised."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)

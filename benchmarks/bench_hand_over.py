"""What handing blocking work from the event loop to a thread costs: the server's own
:func:`assay.server.threads.in_thread` (a queue its threads take calls from) beside the loop's
``run_in_executor`` on a ``ThreadPoolExecutor`` of as many threads (what in_thread was until
2026-12-04) and Starlette's ``run_in_threadpool`` (anyio's ``to_thread.run_sync``), which
FastAPI uses for plain endpoints.

C callers (default 32, as many as the API load test's clients) each hand over a function that
does nothing, one call after the other, on uvloop as uvicorn runs it; the process's CPU time
and the wall time per hand-over are measured over N calls (default 20,000), in mirrored order
(ABCCBA) for ``--rounds`` rounds, and the means compared. Prints and writes
``benchmarks/results/hand-over.md``.

    python benchmarks/bench_hand_over.py [--callers 32] [--calls 20000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import functools
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import uvloop
from starlette.concurrency import run_in_threadpool

from assay.server.threads import THREADS, in_thread

RESULTS = Path(__file__).parent / "results" / "hand-over.md"
HandOver = Callable[[Callable[[], int]], Awaitable[int]]


def nothing() -> int:
    return 1


_EXECUTOR = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="executor")


async def in_executor(function: Callable[[], int]) -> int:
    """The hand-over in_thread made until 2026-12-04: the loop's executor, in a copy of the
    caller's context."""
    call = functools.partial(contextvars.copy_context().run, function)
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, call)


async def measure(hand_over: HandOver, callers: int, calls: int) -> tuple[float, float]:
    """Microseconds of process CPU and of wall time per hand-over."""

    async def caller() -> None:
        for _ in range(calls // callers):
            await hand_over(nothing)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    done = callers * (calls // callers)
    return (
        (time.process_time() - cpu) / done * 1e6,
        (time.perf_counter() - wall) / done * 1e6,
    )


async def compare(callers: int, calls: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    ways: dict[str, HandOver] = {
        "Starlette run_in_threadpool (anyio)": run_in_threadpool,
        "loop.run_in_executor (ThreadPoolExecutor)": in_executor,
        "assay in_thread (a queue of calls)": in_thread,
    }
    names = list(ways)
    seen: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for way in ways.values():  # threads started before any is measured
        await measure(way, callers, calls // 10)
    for round_ in range(rounds):
        order = names if round_ % 2 == 0 else names[::-1]
        for name in order + order[::-1]:
            seen[name].append(await measure(ways[name], callers, calls))
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=32)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    seen = uvloop.run(compare(options.callers, options.calls, options.rounds))
    anyio, executor, ours = list(seen)
    means = {
        name: tuple(statistics.mean(x) for x in zip(*runs, strict=True))
        for name, runs in seen.items()
    }
    lines = [
        "# Handing work to a thread",
        "",
        f"{options.callers} callers on uvloop, {options.calls:,} hand-overs of a function that "
        f"does nothing per run, {len(seen[ours])} runs each in mirrored order (ABCCBA); "
        f"this machine ({platform.machine()}, Python "
        f"{platform.python_version()}).",
        "",
        "| hand-over | CPU µs each (mean) | wall µs each (mean) | runs (CPU µs) |",
        "|---|---|---|---|",
    ]
    for name, runs in seen.items():
        each = ", ".join(f"{cpu:.1f}" for cpu, _ in runs)
        lines.append(f"| {name} | {means[name][0]:.1f} | {means[name][1]:.1f} | {each} |")
    lines.append("")
    for peer, called in ((executor, "run_in_executor"), (anyio, "run_in_threadpool")):
        lines.append(
            f"in_thread takes {means[peer][0] / means[ours][0]:.2f} times less CPU and "
            f"{means[peer][1] / means[ours][1]:.2f} times less wall time a hand-over than "
            f"{called}."
        )
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

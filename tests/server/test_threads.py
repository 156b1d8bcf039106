"""Blocking work leaves the event loop for the server's own threads (server/threads.py): the
caller's context goes with it, its errors come back, and every plain endpoint of the Audit API
runs there, with its name, signature and documentation kept for the OpenAPI document."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient

from assay.server import api as audit_api
from assay.server import events
from assay.server.api import evidence
from assay.server.guard import GuardedRoute
from assay.server.threads import THREADS, in_thread, in_thread_endpoint
from tests.helpers.server import PUSH_SPEC, running_api

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


def where() -> tuple[str, str]:
    return threading.current_thread().name, REQUEST_ID.get()


def test_work_runs_in_a_pool_thread_with_the_callers_context() -> None:
    async def main() -> tuple[str, tuple[str, str]]:
        REQUEST_ID.set("r-17")
        return threading.current_thread().name, await in_thread(where)

    loop_thread, (thread, request_id) = asyncio.run(main())
    assert thread.startswith("assay-io")
    assert thread != loop_thread
    assert request_id == "r-17"


def test_an_error_in_the_thread_is_raised_to_the_awaiting_caller() -> None:
    def fails(text: str) -> None:
        raise LookupError(text)

    with pytest.raises(LookupError, match="no such token"):
        asyncio.run(in_thread(fails, "no such token"))


def test_at_most_the_pool_size_run_at_once() -> None:
    running, most = 0, 0
    lock = threading.Lock()
    release = threading.Event()

    def hold() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(timeout=5)
        with lock:
            running -= 1

    async def main() -> None:
        calls = [asyncio.ensure_future(in_thread(hold)) for _ in range(THREADS + 8)]
        while True:
            await asyncio.sleep(0.01)
            with lock:
                if running == THREADS:
                    break
        await asyncio.sleep(0.05)
        with lock:
            assert running == THREADS  # the other 8 wait for a thread
        release.set()
        await asyncio.gather(*calls)

    asyncio.run(main())
    assert most == THREADS


def test_a_cancelled_caller_leaves_its_call_to_finish_and_the_threads_serving() -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(timeout=5)
        finished.set()
        return "late"

    problems: list[dict[str, object]] = []

    async def main() -> list[str]:
        asyncio.get_running_loop().set_exception_handler(
            lambda _, problem: problems.append(problem)
        )
        waiting = asyncio.ensure_future(in_thread(slow))
        await asyncio.to_thread(started.wait, 5)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release.set()
        await asyncio.to_thread(finished.wait, 5)
        await asyncio.sleep(0.05)  # the late result reaches the loop, which drops it
        return list(await asyncio.gather(*(in_thread(str, n) for n in range(THREADS * 2))))

    assert asyncio.run(main()) == [str(n) for n in range(THREADS * 2)]
    assert finished.is_set()
    assert problems == []  # the late result was dropped, not set on the cancelled future


def test_a_call_that_ends_after_its_loop_closed_does_not_stop_its_thread() -> None:
    release, settled = threading.Event(), threading.Event()

    def outlives_the_loop() -> None:
        release.wait(timeout=5)

    left: list[asyncio.Future[None]] = []

    async def leave_it_running() -> None:
        left.append(asyncio.ensure_future(in_thread(outlives_the_loop)))
        await asyncio.sleep(0.05)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(leave_it_running())
    loop.close()
    release.set()
    # every thread still takes calls: THREADS more of them, all at once, are answered
    gate = threading.Barrier(THREADS, timeout=5)

    def together() -> None:
        gate.wait()
        settled.set()

    async def all_at_once() -> None:
        await asyncio.wait_for(asyncio.gather(*(in_thread(together) for _ in range(THREADS))), 10)

    asyncio.run(all_at_once())
    assert settled.is_set()


def test_a_process_exits_after_its_queued_calls_have_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = f"""
import asyncio, pathlib, time
from assay.server.threads import in_thread

def late() -> None:
    time.sleep(0.3)
    pathlib.Path({str(marker)!r}).write_text("done")

async def main() -> None:
    asyncio.ensure_future(in_thread(late))
    await asyncio.sleep(0.05)

asyncio.run(main())
"""
    done = subprocess.run([sys.executable, "-c", script], timeout=30, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "done"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_hands_over_to_threads_of_its_own(tmp_path: Path) -> None:
    asyncio.run(in_thread(where))  # the parent's threads are running
    answer = tmp_path / "child"
    pid = os.fork()
    if pid == 0:  # the child: answer, and leave without running the parent's clean-up
        try:
            name, _ = asyncio.run(asyncio.wait_for(in_thread(where), 10))
            answer.write_text(name)
        finally:
            os._exit(0)
    deadline = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child did not answer within 30 s")
        time.sleep(0.02)
    assert answer.read_text().startswith("assay-io")


def test_a_plain_endpoint_becomes_a_coroutine_keeping_what_fastapi_reads() -> None:
    def report(spec: str, request: Request) -> dict[str, str]:
        """What is known of ``spec``."""
        return {"spec": spec}

    async def already(spec: str) -> dict[str, str]:
        return {"spec": spec}

    threaded = in_thread_endpoint(report)
    assert inspect.iscoroutinefunction(threaded)
    assert threaded.__name__ == "report"
    assert threaded.__doc__ == report.__doc__
    assert inspect.signature(threaded) == inspect.signature(report)
    assert in_thread_endpoint(already) is already


def test_a_guarded_plain_endpoint_answers_from_a_pool_thread() -> None:
    router = APIRouter(route_class=GuardedRoute)

    @router.get("/where")
    def answer_where() -> dict[str, str]:
        thread, request_id = where()
        return {"thread": thread, "request_id": request_id}

    app = FastAPI()

    @app.middleware("http")
    async def tag(request: Request, call_next):  # type: ignore[no-untyped-def]
        REQUEST_ID.set(request.headers.get("x-request-id", "none"))
        return await call_next(request)

    app.include_router(router)
    with TestClient(app) as client:
        answer = client.get("/where", headers={"x-request-id": "abc"})
    assert answer.status_code == 200
    assert answer.json()["thread"].startswith("assay-io")
    assert answer.json()["request_id"] == "abc"


def test_every_plain_endpoint_of_the_audit_api_runs_in_the_pool(
    database_url: str, tmp_path: Path
) -> None:
    with running_api(database_url, tmp_path) as api:
        routes = [
            route
            for router in (*audit_api.ROUTERS, events.router)
            for route in router.routes
            if isinstance(route, GuardedRoute)
        ]
        assert len(routes) > 20
        for route in routes:
            assert inspect.iscoroutinefunction(route.dependant.call), route.path
        push = next(route for route in routes if route.path == "/api/v1/evidence")
        assert push.endpoint.__wrapped__ is evidence.push_evidence  # type: ignore[attr-defined]
        # and the push, run there, stores its run and answers as before
        assert api.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC).status_code == 201
        registration = {"spec": "quality", "target": "m@1"}
        assert api.call("auditee", "POST", "/api/v1/targets", json=registration).status_code == 201
        body = {
            "spec": "quality",
            "target": "m@1",
            "values": [
                {"measurement": "accuracy", "value": 0.97},
                {"measurement": "latency", "value": 40},
            ],
        }
        answer = api.call("auditee", "POST", "/api/v1/evidence", json=body)
        assert answer.status_code == 201, answer.text
        assert answer.json()["accepted"] == 2
        assert answer.json()["verdict"] == "pass"

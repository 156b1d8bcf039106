"""The Audit API under test: an application on a test database with one token per role, and
real ``assay serve`` processes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from assay.server.app import create_app
from assay.server.settings import ServerSettings
from assay.store import open_store
from assay.store.config import DatabaseChoice
from assay.store.tokens import Role, create_token

# A spec whose values are pushed: a public accuracy and a confidential latency, judged daily.
PUSH_SPEC: dict[str, Any] = {
    "spec": 1,
    "id": "quality",
    "name": "Quality",
    "dimensions": [
        {
            "id": "d",
            "name": "Performance",
            "requirements": [
                {
                    "id": "r",
                    "name": "Accurate and fast",
                    "frequency": {"every": "P1D", "on": ["model_registered"]},
                    "metrics": [
                        {
                            "id": "m",
                            "name": "Model metrics",
                            "measurements": [
                                {
                                    "id": "accuracy",
                                    "name": "Accuracy",
                                    "comparison": "greater_or_equal",
                                    "target": 0.8,
                                },
                                {
                                    "id": "latency",
                                    "name": "Latency (ms)",
                                    "comparison": "less_or_equal",
                                    "target": 100,
                                    "confidential": True,
                                },
                            ],
                        }
                    ],
                }
            ],
        }
    ],
}


@dataclass
class Api:
    """A running application and a bearer header per role (``internal``: an auditor with
    internal access)."""

    client: TestClient
    url: str
    tokens: dict[str, str]

    def headers(self, who: str | None) -> dict[str, str]:
        """The Authorization header of ``who`` (none for None)."""
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def call(self, who: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request as ``who``."""
        answer: httpx.Response = self.client.request(
            method, path, headers=self.headers(who), **kwargs
        )
        return answer


def make_tokens(url: str, **scoped: str) -> dict[str, str]:
    """A token per role, an internal auditor, and auditee tokens scoped as ``scoped`` says
    (name → scope)."""
    store = open_store(DatabaseChoice(url, "test"))
    try:
        made = {role.value: create_token(store, name=role.value, role=role)[1] for role in Role}
        made["internal"] = create_token(store, name="in", role=Role.auditor, internal=True)[1]
        for name, scope in scoped.items():
            made[name] = create_token(store, name=name, role=Role.auditee, scope=scope)[1]
        return made
    finally:
        store.close()


@contextmanager
def running_api(url: str, spec_dir: Path, **options: Any) -> Iterator[Api]:
    """The application on ``url`` (scheduler off unless asked) with a token per role."""
    tokens = make_tokens(url, scoped="other@1")
    settings = ServerSettings(
        url, "test", spec_dir=str(spec_dir), **({"scheduler": False} | options)
    )
    with TestClient(create_app(settings)) as client:
        yield Api(client, url, tokens)


def started_on_free_port(
    start: Callable[[int], subprocess.Popen[str]], health: str, *, seconds: float
) -> tuple[subprocess.Popen[str], str]:
    """A server that cannot be asked to pick a free port itself, started by ``start(port)`` on
    a free one and answering ``http://127.0.0.1:PORT{health}``; a port taken by another
    process between the choice and the bind is met by starting again on another (five tries).
    Returns the process and its base URL."""
    for attempt in range(5):
        port = free_port()
        process = start(port)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(process, f"{base}{health}", seconds=seconds)
        except AssertionError:
            stop(process)
            if attempt == 4:
                raise
            continue
        return process, base
    raise AssertionError("unreachable")


@contextmanager
def refused_port() -> Iterator[int]:
    """A TCP port of this machine that refuses connections for as long as the block runs: it
    is held bound, never listening, so no other process can take it meanwhile."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield int(bound.getsockname()[1])


def free_port() -> int:
    """A TCP port nothing listens on now, for servers that cannot be started on port 0 (another
    process may take it before the server binds it: callers retry, see
    :func:`start_until_bound`)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


BANNER = re.compile(r"assay Audit API on (http://\S+) ")


class StderrReader:
    """Reads a process's standard error in a thread, keeping every line, so that a test can
    wait for a line (the banner with the port) without blocking on the pipe."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.lines.append("")  # end of output
            self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], seconds: float) -> re.Match[str] | None:
        """The first line matching ``pattern``; None once the output ends or after
        ``seconds``."""
        deadline = time.monotonic() + seconds
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if line == "":
                        return None
                    if found := pattern.search(line):
                        return found
                seen = len(self.lines)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)

    @property
    def text(self) -> str:
        """Everything read so far."""
        with self._changed:
            return "".join(self.lines)


def stop(process: subprocess.Popen[str], seconds: float = 30) -> None:
    """Terminate ``process`` (unless it has ended), killing it after ``seconds``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_health(
    process: subprocess.Popen[str],
    url: str,
    *,
    seconds: float,
    errors: StderrReader | None = None,
) -> None:
    """Return once ``url`` answers 2xx; fail with the process's error output if it exits,
    or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            if process.poll() is not None:
                output = errors.text if errors is not None else process.communicate()[1]
                raise AssertionError(f"{process.args!r} ended: {output[-3000:]}") from None
            assert time.monotonic() < deadline, f"{process.args!r} did not answer on {url}"
            time.sleep(0.1)


@contextmanager
def serve_process(
    url: str, *args: str, home: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A real ``assay serve`` process on ``url``, on a port the system picks (``--port 0``:
    the banner names it), once it answers; stopped (terminated, or found killed) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "assay", "serve", "--port", "0", "--db", url, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ASSAY_HOME": str(home), **(env or {})},
    )
    try:
        errors = StderrReader(process)
        banner = errors.wait_for(BANNER, seconds=120)
        assert banner is not None, f"assay serve did not start: {errors.text[-3000:]}"
        base = banner.group(1)
        wait_for_health(process, f"{base}/health", seconds=60, errors=errors)
        yield process, base
    finally:
        stop(process)


def ledger_count(api: Api) -> int:
    """How many entries the ledger of the application under test holds."""
    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        return store.ledger.count()
    finally:
        store.close()


def push(api: Api, accuracy: float, latency: float = 50, *, target: str = "model@1") -> Any:
    """Push an accuracy and a latency for ``target`` as the auditee; the answer."""
    answer = api.call(
        "auditee",
        "POST",
        "/api/v1/evidence",
        json={
            "spec": "quality",
            "target": target,
            "values": [
                {
                    "measurement": "accuracy",
                    "value": accuracy,
                    "provenance": {"model_version": "1", "commit": "abc123", "data_hash": "f00"},
                },
                {"measurement": "latency", "value": latency},
            ],
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def prepared(api: Api) -> Api:
    """The push spec uploaded and model@1 registered for third-party audit."""
    assert api.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC).status_code == 201
    registration = {"spec": "quality", "target": "model@1", "mode": "third-party"}
    assert api.call("auditee", "POST", "/api/v1/targets", json=registration).status_code == 201
    return api

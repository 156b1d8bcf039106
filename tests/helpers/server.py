"""The Audit API under test: an application on a test database with one token per role, and
real ``assay serve`` processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from assay.config import DatabaseChoice
from assay.server.app import create_app
from assay.server.settings import ServerSettings
from assay.store import open_store
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


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def wait_for_health(process: subprocess.Popen[str], url: str, *, seconds: float) -> None:
    """Return once ``url`` answers 2xx; fail with the process's error output if it exits,
    or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            assert process.poll() is None, process.communicate()[1][-3000:]
            assert time.monotonic() < deadline, f"{process.args!r} did not answer on {url}"
            time.sleep(0.1)


@contextmanager
def serve_process(
    url: str, *args: str, home: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A real ``assay serve`` process on ``url`` and a free port, once it answers; stopped
    (terminated, or found killed) afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "assay", "serve", "--port", str(port), "--db", url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ASSAY_HOME": str(home), **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(process, f"{base}/health", seconds=60)
        yield process, base
    finally:
        stop(process)

"""Real peers of the alert actions: Debian's Alertmanager on a free port, and a webhook
receiver that records what it was sent (and can fail on purpose)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.server import started_on_free_port, stop

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


@dataclass
class Alertmanager:
    """A running Alertmanager."""

    url: str

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts it holds (``GET /api/v2/alerts``)."""
        answer = httpx.get(f"{self.url}/api/v2/alerts", timeout=10)
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()
        return found


@contextmanager
def alertmanager(directory: Path) -> Iterator[Alertmanager]:
    """``prometheus-alertmanager`` (installed by .ci/run) with a route to nowhere, clustering
    off, on a free port; stopped after. A port taken between the choice and the bind is met by
    starting again on another."""
    assert ALERTMANAGER, "prometheus-alertmanager is not installed (.ci/run installs it)"
    config = directory / "alertmanager.yml"
    config.write_text('route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n')

    def start(port: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                str(ALERTMANAGER),
                f"--config.file={config}",
                f"--storage.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    process, url = started_on_free_port(start, "/-/ready", seconds=30)
    try:
        yield Alertmanager(url)
    finally:
        stop(process)


@dataclass
class Receiver:
    """A webhook receiver: the bodies and headers it got, and how many requests to fail."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail_first: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def payloads(self) -> list[Any]:
        """The JSON bodies it accepted."""
        with self.lock:
            return [json.loads(body) for _, body in self.received]


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[Receiver]:
    """A receiver on a port the system picks; it answers 503 to the first ``fail_first``
    requests and 204 after, keeping what it accepted."""
    state = Receiver("", fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with state.lock:
                failing = state.fail_first > 0
                if failing:
                    state.fail_first -= 1
                else:
                    state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(503 if failing else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

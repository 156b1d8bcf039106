"""A real HTTP server on 127.0.0.1 whose endpoints succeed, fail, flap and stall on purpose."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET_TOKEN = "s3cr3t-t0ken-never-shown"


@dataclass
class Server:
    """Where the server listens and what it has been asked (path → number of requests)."""

    url: str
    hits: Counter[str] = field(default_factory=Counter)
    bodies: list[object] = field(default_factory=list)


@contextmanager
def evidence_server() -> Iterator[Server]:
    """Endpoints: ``/metrics`` JSON; ``/flaky`` 503 twice, then JSON; ``/broken`` always 500;
    ``/slow`` answers after 3 s; ``/private`` needs ``Authorization: Bearer SECRET_TOKEN``;
    ``/missing`` 404; ``/text`` plain text; ``/echo`` (POST) returns the JSON it was sent;
    ``/elsewhere`` redirects to ``/metrics`` on ``localhost`` (another host name)."""
    state = Server("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: object, content_type: str = "application/json") -> None:
            data = (json.dumps(body) if content_type == "application/json" else str(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            state.hits[path] += 1
            if path == "/metrics":
                self._send(200, {"holdout": {"accuracy": 0.91, "f1": 0.88}, "status": "ok"})
            elif path == "/flaky":
                if state.hits[path] <= 2:
                    self._send(503, {"error": "warming up"})
                else:
                    self._send(200, {"value": 7})
            elif path == "/broken":
                self._send(500, {"error": "boom"})
            elif path == "/slow":
                time.sleep(3)
                self._send(200, {"value": 1})
            elif path == "/private":
                if self.headers.get("Authorization") == f"Bearer {SECRET_TOKEN}":
                    self._send(200, {"verdict": "pass"})
                else:
                    self._send(401, {"error": "who are you?"})
            elif path == "/text":
                self._send(200, "0.75\n", "text/plain")
            elif path == "/elsewhere":
                self.send_response(302)
                port = state.url.rsplit(":", 1)[1]
                self.send_header("Location", f"http://localhost:{port}/metrics")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send(404, {"error": "not here"})

        def do_POST(self) -> None:
            state.hits[self.path] += 1
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            state.bodies.append(body)
            self._send(200, {"received": body})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

"""The evidence lane (server/api/evidence_lane.py) answers pushes as the route does: the same
status and the same body for a good push and for every refusal, in the same order (caller,
then body, then validation), while the route itself is not reached."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from assay.server.api.evidence_lane import PARSED_FIRST_BYTES, EvidenceLane
from assay.server.app import create_app
from assay.server.settings import ServerSettings
from assay.store import open_store
from assay.store.config import DatabaseChoice
from assay.store.tokens import Role, create_token, revoke_token
from tests.conftest import BACKENDS
from tests.helpers.databases import POSTGRES_URL, postgres_schema
from tests.helpers.server import PUSH_SPEC, Api, make_tokens, serve_process
from tests.helpers.wire import client_messages, wire

GOOD = {
    "spec": "quality",
    "target": "m@1",
    "values": [
        {"measurement": "accuracy", "value": 0.91, "provenance": {"commit": "abc"}},
        {"measurement": "latency", "value": 120},
    ],
}

LARGE = {**GOOD, "values": [{"measurement": "latency", "value": n} for n in range(3_000)]}
assert len(json.dumps(LARGE)) > PARSED_FIRST_BYTES

# (who, content type, body): each answered the same by the lane and by the route.
CASES: list[tuple[str | None, str | None, bytes]] = [
    ("auditee", "application/json", json.dumps(GOOD).encode()),
    (None, "application/json", b"not json at all"),
    ("auditor", "application/json", json.dumps(GOOD).encode()),
    ("scoped", "application/json", json.dumps(GOOD).encode()),
    ("auditee", "application/json", b'{"spec": "quality", "target": '),
    ("auditee", "application/json", b'{"spec": "quality", "spec": "x"}'),
    ("auditee", "application/json", b'{"spec": "q", "target": "m@1", "values": [{"value": NaN}]}'),
    ("auditee", "application/json", b""),
    ("auditee", "application/json", b"[]"),
    ("auditee", "application/json", json.dumps({**GOOD, "extra": 1}).encode()),
    ("auditee", "application/json", json.dumps({**GOOD, "values": []}).encode()),
    ("auditee", "application/json", json.dumps({**GOOD, "target": "bad target!"}).encode()),
    ("auditee", "application/json; charset=utf-8", json.dumps({**GOOD, "spec": "nope"}).encode()),
    (
        "auditee",
        "application/json",
        json.dumps({**GOOD, "values": [{"measurement": "speed", "value": 1}]}).encode(),
    ),
    (
        "auditee",
        "application/json",
        json.dumps({**GOOD, "values": [{"measurement": "accuracy", "value": "high"}]}).encode(),
    ),
    ("auditee", "application/json", json.dumps(GOOD).encode()),
    ("auditee", "application/json", b"null"),
    ("auditee", "application/json", b'"values"'),
    ("auditee", "application/json", b"0"),
    ("auditee", "application/json", b"{}"),
    ("revoked", "application/json", json.dumps(GOOD).encode()),
    ("revoked", "application/json", b"not json at all"),
    # Larger than the lane parses before the caller is known: the caller first, then the body.
    (None, "application/json", json.dumps(LARGE).encode()),
    ("auditor", "application/json", json.dumps(LARGE).encode()),
    ("auditee", "application/json", json.dumps(LARGE).encode()),
    ("auditee", "application/json", json.dumps(LARGE).encode()[:-1]),
    ("auditee", "text/plain", json.dumps(GOOD).encode()),
    ("auditee", None, json.dumps(GOOD).encode()),
]


class RouteSeen:
    """Outermost middleware noting, per request, whether FastAPI's router chose a route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[bool] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.seen.append("endpoint" in scope)


@contextmanager
def fresh_database(backend: str, path: Path) -> Iterator[str]:
    """An empty database: the SQLite file ``path``, or a new schema in the test PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{path}"
        return
    if not POSTGRES_URL:
        pytest.skip("ASSAY_TEST_POSTGRES_URL is not set")
    with postgres_schema() as url:
        yield url


@contextmanager
def api(url: str, spec_dir: Path, *, lane: bool) -> Iterator[tuple[Api, RouteSeen]]:
    tokens = make_tokens(url, scoped="other@1")
    store = open_store(DatabaseChoice(url, "test"))
    try:
        revoked, tokens["revoked"] = create_token(store, name="revoked", role=Role.auditee)
        revoke_token(store, revoked.id)
    finally:
        store.close()
    app = create_app(ServerSettings(url, "test", spec_dir=str(spec_dir), scheduler=False))
    if not lane:
        kept = [m for m in app.user_middleware if m.cls is not EvidenceLane]  # type: ignore[comparison-overlap]
        assert len(kept) == len(app.user_middleware) - 1
        app.user_middleware = kept
    seen = RouteSeen(app)
    with TestClient(seen) as client:
        running = Api(client, url, tokens)
        assert running.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC).status_code == 201
        registration = {"spec": "quality", "target": "m@1"}
        assert running.call("auditee", "POST", "/api/v1/targets", json=registration).status_code
        yield running, seen


def answers(running: Api) -> list[tuple[int, Any]]:
    found = []
    for who, kind, body in CASES:
        headers = running.headers(who) | ({"Content-Type": kind} if kind else {})
        answer = running.client.post("/api/v1/evidence", content=body, headers=headers)
        payload = answer.json()
        if answer.status_code == 201:
            assert payload.pop("run_id")
        found.append((answer.status_code, payload))
    return found


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_lane_answers_every_case_as_the_route_does(tmp_path: Path, backend: str) -> None:
    with (
        fresh_database(backend, tmp_path / "lane.db") as url,
        api(url, tmp_path, lane=True) as (lane, lane_seen),
    ):
        by_lane = answers(lane)
        lane_chose = lane_seen.seen[-len(CASES) :]
        verified = lane.call("auditor", "GET", "/api/v1/ledger/verify").json()
    with (
        fresh_database(backend, tmp_path / "route.db") as url,
        api(url, tmp_path, lane=False) as (route, route_seen),
    ):
        by_route = answers(route)
        route_chose = route_seen.seen[-len(CASES) :]
    assert by_lane == by_route
    statuses = [status for status, _ in by_lane]
    assert statuses.count(201) == 3
    assert {401, 403, 404, 422} <= set(statuses)
    assert by_lane[1][1]["error"]["code"] == "unauthorized"
    assert by_lane[2][1]["error"]["code"] == "forbidden"
    assert by_lane[3][1]["error"]["code"] == "out_of_scope"
    assert by_lane[12][1]["error"]["code"] == "unknown_spec"
    assert by_lane[13][1]["error"]["code"] == "invalid_evidence"
    first, second = by_lane[0][1]["ledger"], by_lane[15][1]["ledger"]
    assert second["first"] == first["last"] + 1  # nothing stored by the refusals between
    # FastAPI reads no body as JSON without a JSON content type: the route refuses these two.
    assert [status for status, _ in by_lane[-2:]] == [422, 422]
    # A revoked token is refused, whatever its body; so is a large body's unknown caller.
    assert [answer["error"]["code"] for _, answer in by_lane[-8:-4]] == [
        "unauthorized",
        "unauthorized",
        "unauthorized",
        "forbidden",
    ]
    assert [status for status, _ in by_lane[-4:-2]] == [201, 422]
    assert verified["ok"] is True
    # The route answered every case without the lane, and only the last two with it.
    assert route_chose == [True] * len(CASES)
    assert lane_chose == [False] * (len(CASES) - 2) + [True, True]


@pytest.mark.parametrize("who", [None, "auditor"])
def test_a_caller_is_refused_before_a_hostile_body_is_read(tmp_path: Path, who: str | None) -> None:
    with api(f"sqlite:///{tmp_path / 'lane.db'}", tmp_path, lane=True) as (lane, _):
        deep = b"[" * 100_000 + b"]" * 100_000
        answer = lane.client.post(
            "/api/v1/evidence",
            content=deep,
            headers=lane.headers(who) | {"Content-Type": "application/json"},
        )
    assert answer.status_code == (401 if who is None else 403)


def test_a_push_without_a_token_is_refused_without_a_read(tmp_path: Path) -> None:
    """A caller presenting no token's text costs the database nothing, as before the lane read
    the token and the index together; a token's text is looked up."""
    if not POSTGRES_URL:
        pytest.skip("ASSAY_TEST_POSTGRES_URL is not set")
    body = json.dumps(GOOD).encode()
    with postgres_schema() as url, api(url, tmp_path, lane=True) as (lane, seen):
        store = seen.app.state.store  # type: ignore[attr-defined]
        for header, looked_up in (
            ({}, False),
            ({"Authorization": "Bearer nonsense"}, False),
            ({"Authorization": "Bearer assay_0000000000000000_x"}, True),
        ):
            with wire(store.database) as sent:
                answer = lane.client.post(
                    "/api/v1/evidence",
                    content=body,
                    headers=header | {"Content-Type": "application/json"},
                )
                messages = client_messages(sent())
            assert answer.status_code == 401
            assert any("api_tokens" in message for message in messages) is looked_up
            assert bool(messages) is looked_up, messages


def _answer_status(connection: socket.socket) -> int:
    """The status of the answer read from ``connection`` (the status line is enough)."""
    connection.settimeout(60)
    received = b""
    while b"\r\n" not in received:
        more = connection.recv(4096)
        assert more, f"the server closed the connection: {received!r}"
        received += more
    return int(received.split(b" ", 2)[1])


def test_a_body_sent_in_parts_is_pushed_and_an_unknown_caller_refused_before_its_end(
    tmp_path: Path,
) -> None:
    """A real server and a body whose parts come apart: the push is stored as one whose body
    came whole is; a caller without a valid token is answered 401 while the rest of the body
    is still to come."""
    url = f"sqlite:///{tmp_path / 'parts.db'}"
    tokens = make_tokens(url)
    with serve_process(url, "--no-scheduler", home=tmp_path) as (_, base):
        bearer = {"Authorization": f"Bearer {tokens['auditee']}"}
        assert httpx.post(f"{base}/api/v1/specs", json=PUSH_SPEC, headers=bearer).status_code == 201
        port = int(base.rsplit(":", 1)[1])
        body = json.dumps(GOOD).encode()
        for token, expected in ((tokens["auditee"], 201), ("not-a-token", 401)):
            with socket.create_connection(("127.0.0.1", port)) as connection:
                connection.sendall(
                    b"POST /api/v1/evidence HTTP/1.1\r\nHost: test\r\n"
                    b"Content-Type: application/json\r\nContent-Length: %d\r\n"
                    b"Authorization: Bearer %s\r\n\r\n%s" % (len(body), token.encode(), body[:20])
                )
                if expected == 401:  # the rest is never sent: refused all the same
                    assert _answer_status(connection) == 401
                    continue
                time.sleep(0.2)  # the parts reach the server apart
                connection.sendall(body[20:])
                assert _answer_status(connection) == 201
        runs = httpx.get(f"{base}/api/v1/runs", headers=bearer).json()
        assert len(runs) == 1

"""Who may call what: every role against every family, scopes, body limits. On SQLite and the CI
PostgreSQL, through the real application in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.server import PUSH_SPEC, Api, prepared, push, running_api


def test_oversized_bodies_are_refused_unread(database_url: str, tmp_path: Path) -> None:
    with running_api(database_url, tmp_path, max_body_bytes=2048) as api:
        big = {"spec": "quality", "target": "t", "values": [{"measurement": "x" * 4000}]}
        answer = api.call("auditee", "POST", "/api/v1/evidence", json=big)
        assert (answer.status_code, answer.json()["error"]["code"]) == (413, "body_too_large")

        def chunks() -> Iterator[bytes]:
            yield b"[" + b"1," * 2000
            yield b"1]"

        streamed = api.client.post(
            "/api/v1/specs",
            content=chunks(),
            headers={**api.headers("auditee"), "Content-Type": "application/json"},
        )
        assert streamed.status_code == 413


def test_scoped_tokens_reach_only_their_target(api: Api) -> None:
    prepared(api)
    push(api, 0.9)
    body = {
        "spec": "quality",
        "target": "model@1",
        "values": [{"measurement": "accuracy", "value": 1}],
    }
    refused = api.call("scoped", "POST", "/api/v1/evidence", json=body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "out_of_scope")
    assert api.call("scoped", "GET", "/api/v1/runs").json() == []
    assert api.call("scoped", "GET", "/api/v1/targets").json() == []
    run_id = api.call("auditee", "GET", "/api/v1/runs").json()[0]["run_id"]
    assert api.call("scoped", "GET", f"/api/v1/runs/{run_id}").status_code == 404
    mine = {**body, "target": "other@1"}
    assert api.call("scoped", "POST", "/api/v1/evidence", json=mine).status_code == 201


# Each family: a request, and the roles allowed to make it (anything else: 401 or 403).
ROLE_MATRIX: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/api/v1/specs", None, {"auditee", "auditor", "internal"}),
    ("POST", "/api/v1/specs", PUSH_SPEC, {"auditee"}),
    ("GET", "/api/v1/targets", None, {"auditee", "auditor", "internal"}),
    ("POST", "/api/v1/targets", {"spec": "quality", "target": "model@1"}, {"auditee"}),
    ("GET", "/api/v1/runs", None, {"auditee", "auditor", "internal"}),
    ("POST", "/api/v1/runs", {"spec": "quality", "target": "model@1"}, {"auditee"}),
    (
        "POST",
        "/api/v1/evidence",
        {
            "spec": "quality",
            "target": "model@1",
            "values": [{"measurement": "accuracy", "value": 1}],
        },
        {"auditee"},
    ),
    (
        "POST",
        "/api/v1/verdicts",
        {"spec": "quality", "target": "model@1", "element": "latency", "value": "3"},
        {"auditor", "internal"},
    ),
    ("GET", "/api/v1/specs/quality", None, {"auditee", "auditor", "internal"}),
    ("GET", "/api/v1/runs/{run}", None, {"auditee", "auditor", "internal"}),
    ("GET", "/api/v1/runs/{run}/report?audience=public", None, {"auditee", "auditor", "internal"}),
    ("GET", "/api/v1/ledger", None, {"auditor", "internal", "admin"}),
    ("GET", "/api/v1/ledger/verify", None, {"auditor", "internal", "admin"}),
    (
        "GET",
        "/api/v1/ledger/checkpoint",
        None,
        {"auditee", "auditor", "internal", "certifier", "admin"},
    ),
    (
        "GET",
        "/api/v1/ledger/proof/1",
        None,
        {"auditee", "auditor", "internal", "certifier", "admin"},
    ),
    (
        "GET",
        "/api/v1/ledger/consistency?from=1&to=2",
        None,
        {"auditee", "auditor", "internal", "certifier", "admin"},
    ),
    ("GET", "/api/v1/certificates", None, {"auditor", "internal", "certifier"}),
    ("GET", "/api/v1/tokens", None, {"admin"}),
    ("POST", "/api/v1/tokens", {"name": "n", "role": "auditor"}, {"admin"}),
    ("POST", "/api/v1/webhooks/mlflow", {"entity": "x", "action": "y", "data": {}}, {"auditee"}),
    (
        "POST",
        "/api/v1/events",
        {"specversion": "1.0", "id": "1", "source": "/ci", "type": "x", "subject": "model@1"},
        {"auditee"},
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROLE_MATRIX)
def test_every_role_against_every_family(
    database_url: str,
    tmp_path: Path,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    allowed: set[str],
) -> None:
    with running_api(database_url, tmp_path) as api:
        prepared(api)
        path = path.replace("{run}", push(api, 0.9)["run_id"])
        assert api.call(None, method, path, json=body).status_code == 401
        wrong = api.client.request(
            method, path, json=body, headers={"Authorization": "Bearer assay_x_y"}
        )
        assert wrong.status_code == 401
        for who in ("auditee", "auditor", "internal", "certifier", "admin"):
            answer = api.call(who, method, path, json=body)
            if who in allowed:
                assert answer.status_code in (200, 201), (who, answer.text)
            else:
                assert answer.status_code == 403, (who, answer.text)
                assert answer.json()["error"]["code"] == "forbidden"

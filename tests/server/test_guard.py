"""The order and form of every Audit API answer (server/guard.py, server/errors.py): the caller
first, then a strict body, then validation; every error the JSON body; reading stores nothing.
Regression tests of issue 12, findings 3, 7, 8 and 9 at the API; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.server import PUSH_SPEC, Api, refused_port, running_api


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    with running_api(database_url, tmp_path) as running:
        assert running.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC).status_code == 201
        registration = {"spec": "quality", "target": "m@1"}
        assert (
            running.call("auditee", "POST", "/api/v1/targets", json=registration).status_code == 201
        )
        yield running


def entries(api: Api) -> int:
    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        return store.ledger.count()
    finally:
        store.close()


def raw_push(api: Api, value_text: str, who: str | None = "auditee") -> tuple[int, dict]:  # type: ignore[type-arg]
    body = (
        '{"spec": "quality", "target": "m@1", "values": ['
        f'{{"measurement": "accuracy", "value": {value_text}}}]}}'
    )
    answer = api.client.post(
        "/api/v1/evidence",
        content=body,
        headers={**api.headers(who), "Content-Type": "application/json"},
    )
    return answer.status_code, answer.json()


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e999", '"inf"', '"Infinity"'])
def test_a_non_finite_pushed_value_is_refused_and_nothing_is_stored(api: Api, value: str) -> None:
    before = entries(api)
    status, body = raw_push(api, value)
    assert status == 422, body
    assert body["error"]["code"] in ("invalid_request", "invalid_evidence")
    assert entries(api) == before


@pytest.mark.parametrize("target", ["1e999", "Infinity", '"Infinity"', '"nan"'])
def test_a_spec_with_a_non_finite_target_is_refused_at_upload(api: Api, target: str) -> None:
    text = json.dumps(PUSH_SPEC).replace('"target": 0.8', f'"target": {target}')
    assert text != json.dumps(PUSH_SPEC)
    answer = api.client.post(
        "/api/v1/specs",
        content=text,
        headers={**api.headers("auditee"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    message = answer.json()["error"]["message"]
    assert "target" in message or target in message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{"spec": "quality", "spec": "other", "target": "m@1", "values": []}', "written twice"),
        ("[" * 2000 + "]" * 2000, "nested more than"),
        ("{not json", "the body is not JSON"),
    ],
)
def test_hostile_bodies_are_refused_in_one_json_error(api: Api, body: str, fragment: str) -> None:
    answer = api.client.post(
        "/api/v1/evidence",
        content=body,
        headers={**api.headers("auditee"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert fragment in answer.json()["error"]["message"]


@pytest.mark.parametrize("who", [None, "wrong"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/evidence"),
        ("POST", "/api/v1/specs"),
        ("POST", "/api/v1/tokens"),
        ("POST", "/api/v1/events"),
        ("POST", "/api/v1/certificates"),
    ],
)
def test_the_caller_is_checked_before_the_body(
    api: Api, who: str | None, method: str, path: str
) -> None:
    headers = {"Content-Type": "application/json"}
    if who == "wrong":
        headers["Authorization"] = "Bearer assay_0000000000000000_nope"
    answer = api.client.request(method, path, content='{"bad": [1, 2', headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "unauthorized"
    answer = api.client.request(method, path, content='{"bad": true}', headers=headers)
    assert answer.status_code == 401, answer.text


def test_a_role_is_checked_before_the_body(api: Api) -> None:
    answer = api.client.post(
        "/api/v1/tokens",
        content="{not json",
        headers={**api.headers("auditor"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


def test_unknown_ids_are_404(api: Api) -> None:
    for method, path in (
        ("DELETE", "/api/v1/tokens/0123456789abcdef"),
        ("GET", "/api/v1/runs/nope"),
        ("GET", "/api/v1/specs/nope"),
        ("POST", "/api/v1/certificates/cert-nope/revoke"),
        ("GET", "/api/v1/no-such-route"),
    ):
        who = "admin" if "tokens" in path else "certifier" if "cert" in path else "auditor"
        kwargs = {"json": {"reason": "r"}} if method == "POST" else {}
        answer = api.call(who, method, path, **kwargs)
        assert answer.status_code == 404, (path, answer.text)
        assert set(answer.json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize("target", ["a/b", "m@1\x1b[31m", "line\nbreak", " padded", "x" * 201])
def test_targets_follow_one_character_set(api: Api, target: str) -> None:
    for path, body in (
        ("/api/v1/targets", {"spec": "quality", "target": target}),
        ("/api/v1/runs", {"spec": "quality", "target": target}),
        ("/api/v1/evidence", {"spec": "quality", "target": target, "values": [
            {"measurement": "accuracy", "value": 1}]}),
    ):  # fmt: skip
        answer = api.call("auditee", "POST", path, json=body)
        assert answer.status_code == 422, (path, answer.text)
        assert "target" in answer.json()["error"]["message"]


def test_token_names_are_printable(api: Api) -> None:
    for name in ("evil\x1b[31m", "two\nlines", "", "x" * 201):
        answer = api.call("admin", "POST", "/api/v1/tokens", json={"name": name, "role": "auditor"})
        assert answer.status_code == 422, answer.text


def test_reading_reports_stores_nothing(api: Api) -> None:
    pushed = api.call(
        "auditee",
        "POST",
        "/api/v1/evidence",
        json={
            "spec": "quality",
            "target": "m@1",
            "values": [{"measurement": "accuracy", "value": 0.9}],
        },
    )
    run_id = pushed.json()["run_id"]
    before = entries(api)
    for who in ("auditor", "auditee", "internal"):
        for fmt in ("html", "markdown", "json"):
            answer = api.call(who, "GET", f"/api/v1/runs/{run_id}/report?format={fmt}")
            assert answer.status_code == 200
        assert api.call(who, "GET", f"/api/v1/runs/{run_id}").status_code == 200
    for path in ("/status/m@1.json", "/status/m@1", "/badge/m@1.svg", "/metrics"):
        assert api.client.get(path).status_code == 200
    assert entries(api) == before


def test_an_mlflow_delivery_with_a_huge_timestamp_is_refused_as_json(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_MLFLOW_WEBHOOK_SECRET", "s3cret")
    with running_api(database_url, tmp_path) as api:
        body = b'{"entity": "model_version", "action": "created", "data": {}}'
        stamp = "9" * 5000
        signed = f"d1.{stamp}.".encode() + body
        signature = base64.b64encode(hmac.new(b"s3cret", signed, hashlib.sha256).digest())
        answer = api.client.post(
            "/api/v1/webhooks/mlflow",
            content=body,
            headers={
                "X-MLflow-Delivery-Id": "d1",
                "X-MLflow-Timestamp": stamp,
                "X-MLflow-Signature": "v1," + signature.decode(),
            },
        )
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "bad_signature"
        stamp = str(int(time.time()))
        signed = f"d2.{stamp}.".encode() + b'{"entity": "x", "action": NaN}'
        signature = base64.b64encode(hmac.new(b"s3cret", signed, hashlib.sha256).digest())
        answer = api.client.post(
            "/api/v1/webhooks/mlflow",
            content=b'{"entity": "x", "action": NaN}',
            headers={
                "X-MLflow-Delivery-Id": "d2",
                "X-MLflow-Timestamp": stamp,
                "X-MLflow-Signature": "v1," + signature.decode(),
            },
        )
        assert answer.status_code == 422
        assert "NaN" in answer.json()["error"]["message"]


def test_an_unexpected_failure_is_the_json_error_body(database_url: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from assay.server.app import create_app
    from assay.server.settings import ServerSettings

    app = create_app(ServerSettings(database_url, "test", spec_dir=str(tmp_path), scheduler=False))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug with a secret inside: s3cret")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal"
    assert "s3cret" not in answer.text


def test_a_driver_error_of_the_database_is_503_and_logged_for_the_operator(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An operational error raised by psycopg itself (the statements sent past SQLAlchemy)
    is the database being unavailable: 503 ``unavailable`` naming nothing of it, and the
    reason in the server's log, as for the same failure through SQLAlchemy."""
    import psycopg
    from fastapi.testclient import TestClient

    from assay.server.app import create_app
    from assay.server.settings import ServerSettings

    app = create_app(ServerSettings(database_url, "test", spec_dir=str(tmp_path), scheduler=False))
    with refused_port() as port:

        @app.get("/driver")
        def driver() -> None:
            psycopg.connect(host="127.0.0.1", port=port, dbname="secretdb", connect_timeout=5)

        with (
            caplog.at_level("WARNING", logger="assay.server"),
            TestClient(app, raise_server_exceptions=False) as client,
        ):
            answer = client.get("/driver")
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "unavailable"
    assert str(port) not in answer.text
    logged = [r.getMessage() for r in caplog.records if r.name == "assay.server"]
    assert any("database unavailable" in m and str(port) in m for m in logged), logged


def test_a_body_without_content_type_is_read_as_strictly(api: Api) -> None:
    body = (
        '{"spec": "quality", "target": "m@1", "values": [{"measurement": "accuracy", '
        '"value": NaN}]}'
    )
    answer = api.client.post(
        "/api/v1/evidence", content=body.encode(), headers=api.headers("auditee")
    )
    assert answer.status_code == 422, answer.text
    assert "NaN is not a JSON number" in answer.json()["error"]["message"]

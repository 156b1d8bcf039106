"""The Audit API: every endpoint family for every role, uploads, evidence pushes, reports,
verdicts, certificates, the ledger range, tokens, bad input and /metrics — on SQLite and the
CI PostgreSQL, through the real application in process."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from assay.store import open_store
from assay.store.audit_log import MEASUREMENT
from assay.store.config import DatabaseChoice
from tests.helpers.paths import REPO
from tests.helpers.server import PUSH_SPEC, Api, running_api

GRAFANA = REPO / "deploy" / "grafana" / "assay-dashboard.json"


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    with running_api(database_url, tmp_path) as running:
        yield running


def ledger_count(api: Api) -> int:
    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        return store.ledger.count()
    finally:
        store.close()


def push(api: Api, accuracy: float, latency: float = 50, *, target: str = "model@1") -> Any:
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


def test_upload_register_push_and_read_back(api: Api) -> None:
    first = api.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC).json()
    assert (first["id"], first["created"]) == ("quality", True)
    again = api.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC).json()
    assert (again["hash"], again["created"]) == (first["hash"], False)
    versions = api.call("auditor", "GET", "/api/v1/specs/quality").json()
    assert [v["hash"] for v in versions] == [first["hash"]]
    path = f"/api/v1/specs/quality/{first['hash'][:12]}"
    assert api.call("internal", "GET", path).json()["document"] == PUSH_SPEC
    assert api.call("auditee", "GET", path).json()["document"] == PUSH_SPEC
    redacted = api.call("auditor", "GET", path).json()["document"]
    accuracy, latency = redacted["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
    assert (accuracy["target"], latency["target"]) == (0.8, "[confidential]")
    assert latency["name"] == "Latency (ms)"

    registration = {"spec": "quality", "target": "model@1", "mode": "third-party"}
    assert api.call("auditee", "POST", "/api/v1/targets", json=registration).status_code == 201
    passed = push(api, 0.91)
    assert (passed["verdict"], passed["status"], passed["accepted"]) == ("pass", "conformant", 2)
    failed = push(api, 0.5)
    assert (failed["verdict"], failed["status"]) == ("fail", "non-conformant")

    targets = api.call("auditor", "GET", "/api/v1/targets").json()
    assert [(t["target"], t["mode"], t["status"]) for t in targets] == [
        ("model@1", "third-party", "non-conformant")
    ]
    status = api.call(None, "GET", "/status/model@1.json").json()
    assert status["specs"][0]["mode"] == "third-party"
    runs = api.call("auditor", "GET", "/api/v1/runs?target=model@1").json()
    assert [run["verdict"] for run in runs] == ["pass", "fail"]
    assert runs[0]["run_id"] == passed["run_id"]

    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        payloads = [entry.payload or {} for entry in store.ledger.entries(kind=MEASUREMENT)]
        measured = [p for p in payloads if p["run_id"] == passed["run_id"]]
    finally:
        store.close()
    accuracy = next(m for m in measured if m["element"] == "accuracy")
    assert accuracy["value"] == 0.91
    assert accuracy["metadata"] == {"model_version": "1", "commit": "abc123", "data_hash": "f00"}


def test_a_value_pushed_once_is_kept_until_its_requirement_frequency(api: Api) -> None:
    prepared(api)
    push(api, 0.9)
    only_accuracy = {
        "spec": "quality",
        "target": "model@1",
        "values": [{"measurement": "accuracy", "value": 0.95}],
    }
    answer = api.call("auditee", "POST", "/api/v1/evidence", json=only_accuracy).json()
    assert answer["verdict"] == "pass", "the latency pushed before still counts"
    run = api.call("auditee", "GET", f"/api/v1/runs/{answer['run_id']}").json()
    (latency,) = [
        m
        for m in run["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
        if m["id"] == "latency"
    ]
    assert (latency["value"], latency["source"]) == (50, "pushed")


def test_bad_evidence_is_refused_whole_and_stores_nothing(api: Api) -> None:
    prepared(api)
    before = ledger_count(api)
    cases = [
        ({"measurement": "nope", "value": 1}, "invalid_evidence", "not a measurement"),
        ({"measurement": "accuracy", "value": "high"}, "invalid_evidence", "values[0].value"),
        ({"measurement": "accuracy"}, None, None),
    ]
    for value, code, words in cases:
        body = {"spec": "quality", "target": "model@1", "values": [value]}
        answer = api.call("auditee", "POST", "/api/v1/evidence", json=body)
        assert answer.status_code == 422, answer.text
        if code:
            assert answer.json()["error"]["code"] == code
            assert words in answer.json()["error"]["message"]
    unknown = {"spec": "nothing", "target": "model@1", "values": [{"measurement": "a", "value": 1}]}
    answer = api.call("auditee", "POST", "/api/v1/evidence", json=unknown)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "unknown_spec")
    malformed = api.client.post(
        "/api/v1/evidence",
        content=b'{"spec": "quality", "target": ',
        headers={**api.headers("auditee"), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "invalid_request"
    assert api.call("auditee", "POST", "/api/v1/evidence", json=[]).status_code == 422
    assert ledger_count(api) == before


def test_an_invalid_spec_is_refused_with_every_problem(api: Api) -> None:
    broken = copy.deepcopy(PUSH_SPEC)
    measurement = broken["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][0]
    measurement["comparison"] = "bigger"
    del broken["name"]
    before = ledger_count(api)
    answer = api.call("auditee", "POST", "/api/v1/specs", json=broken)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_input"
    assert len(error["problems"]) == 2
    assert any("dimensions[0].requirements[0]" in problem for problem in error["problems"])
    assert ledger_count(api) == before


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


def test_reports_per_audience_and_redaction(api: Api) -> None:
    prepared(api)
    run_id = push(api, 0.9, 42)["run_id"]
    path = f"/api/v1/runs/{run_id}/report"

    def latency(report: Any) -> Any:
        measurements = report["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
        return next(m["value"] for m in measurements if m["id"] == "latency")

    assert latency(api.call("auditor", "GET", f"{path}?format=json").json()) == "[confidential]"
    internal = api.call("internal", "GET", f"{path}?format=json&audience=engineer").json()
    assert latency(internal) == 42
    refused = api.call("auditor", "GET", f"{path}?audience=engineer")
    assert refused.status_code == 403
    html = api.call("auditor", "GET", path)
    assert html.headers["content-type"].startswith("text/html")
    assert 'id="verdict"' in html.text
    assert ">42<" not in html.text
    markdown = api.call("auditee", "GET", f"{path}?format=markdown&audience=executive")
    assert markdown.text.startswith("#")
    assert api.call("auditee", "GET", f"{path}?format=pdf").status_code == 422


def test_assessor_verdicts_certificates_and_the_ledger(api: Api) -> None:
    prepared(api)
    verdict = {
        "spec": "quality",
        "target": "model@1",
        "element": "latency",
        "value": "20",
        "evidence": ["https://example.org/load-test"],
    }
    recorded = api.call("auditor", "POST", "/api/v1/verdicts", json=verdict)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["by"] == "auditor"
    unknown = api.call("auditor", "POST", "/api/v1/verdicts", json={**verdict, "element": "zz"})
    assert unknown.status_code == 422
    body: dict[str, Any] = {
        "spec": "quality",
        "target": "model@1",
        "values": [{"measurement": "accuracy", "value": 0.5}],
    }
    api.call("auditee", "POST", "/api/v1/evidence", json=body)
    certificate = {"spec": "quality", "target": "model@1", "valid_for": "P30D"}
    refused = api.call("certifier", "POST", "/api/v1/certificates", json=certificate)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_conformant")
    body["values"][0]["value"] = 0.95
    run = api.call("auditee", "POST", "/api/v1/evidence", json=body).json()
    assert run["verdict"] == "pass", "the auditor's latency stands"
    issued = api.call("certifier", "POST", "/api/v1/certificates", json=certificate)
    assert issued.status_code == 201, issued.text
    certificate_id = issued.json()["certificate"]
    assert api.call(None, "GET", "/status/model@1.json").json()["status"] == "conformant"
    suspended = api.call(
        "certifier", "POST", f"/api/v1/certificates/{certificate_id}/suspend", json={"reason": "x"}
    )
    assert suspended.status_code == 200
    again = api.call(
        "certifier", "POST", f"/api/v1/certificates/{certificate_id}/suspend", json={"reason": "x"}
    )
    assert again.status_code == 422
    revoked = api.call(
        "certifier", "POST", f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "y"}
    )
    assert revoked.status_code == 200
    listed = api.call("auditor", "GET", "/api/v1/certificates").json()
    assert [(c["certificate"], c["state"]) for c in listed] == [(certificate_id, "revoked")]
    assert [e["event"] for e in listed[0]["events"]] == ["issued", "suspended", "revoked"]
    assert api.call(None, "GET", "/status/model@1.json").json()["status"] == "revoked"

    page = api.call("auditor", "GET", "/api/v1/ledger?since=2&limit=3").json()
    assert [entry["seq"] for entry in page["entries"]] == [2, 3, 4]
    assert page["next"] == 5
    assert page["entries"][1]["prev_hash"] == page["entries"][0]["hash"]
    assert api.call("admin", "GET", "/api/v1/ledger/verify").json()["ok"] is True
    assert api.call("admin", "GET", "/api/v1/ledger?since=0").status_code == 422


def test_tokens_through_the_api(api: Api) -> None:
    made = api.call("admin", "POST", "/api/v1/tokens", json={"name": "ci", "role": "auditee"})
    assert made.status_code == 201
    secret = made.json()["token"]
    listed = api.call("admin", "GET", "/api/v1/tokens").json()
    assert all("token" not in token and "secret_hash" not in token for token in listed)
    assert (
        api.client.get("/api/v1/runs", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    assert api.call("admin", "DELETE", f"/api/v1/tokens/{made.json()['id']}").status_code == 200
    assert (
        api.client.get("/api/v1/runs", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )
    bad_role = api.call("admin", "POST", "/api/v1/tokens", json={"name": "x", "role": "king"})
    assert bad_role.status_code == 422


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


def test_certificate_actions_need_a_certifier(api: Api) -> None:
    prepared(api)
    push(api, 0.9)
    body = {"spec": "quality", "target": "model@1"}
    for who in ("auditee", "auditor", "admin"):
        assert api.call(who, "POST", "/api/v1/certificates", json=body).status_code == 403
    certificate = api.call("certifier", "POST", "/api/v1/certificates", json=body).json()
    for action in ("suspend", "revoke"):
        path = f"/api/v1/certificates/{certificate['certificate']}/{action}"
        for who in ("auditee", "auditor", "admin"):
            assert api.call(who, "POST", path, json={"reason": "r"}).status_code == 403
    missing = api.call(
        "certifier", "POST", "/api/v1/certificates/cert-x/revoke", json={"reason": "r"}
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "unknown_certificate")


def test_prometheus_metrics_leave_confidential_values_out(api: Api) -> None:
    prepared(api)
    push(api, 0.9, 42)
    push(api, 0.7, 43)
    answer = api.call(None, "GET", "/metrics")
    assert answer.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    values = {s.labels["measurement"]: s.value for s in families["assay_measurement_value"].samples}
    assert values == {"accuracy": 0.7}, "latency is confidential"
    states = {
        s.labels["state"]: s.value
        for s in families["assay_conformity"].samples
        if s.labels["target"] == "model@1"
    }
    assert states["non-conformant"] == 1
    assert states["conformant"] == 0
    runs = {
        s.labels["verdict"]: s.value
        for s in families["assay_runs"].samples
        if s.name == "assay_runs_total"
    }
    assert runs == {"pass": 1, "fail": 1}
    ages = families["assay_evidence_age_seconds"].samples
    assert ages
    assert ages[0].value >= 0


def test_the_grafana_dashboard_reads_only_metrics_the_server_exports(api: Api) -> None:
    prepared(api)
    push(api, 0.9)
    exported = {
        sample.name
        for family in text_string_to_metric_families(api.call(None, "GET", "/metrics").text)
        for sample in family.samples
    }
    dashboard = json.loads(GRAFANA.read_text(encoding="utf-8"))
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"assay_[a-z_]+", target["expr"])
    }
    assert used
    assert used <= exported, f"not exported: {used - exported}"


def test_a_batch_of_bad_values_is_summed_up(api: Api) -> None:
    prepared(api)
    values = [{"measurement": "accuracy", "value": f"v{i}"} for i in range(1500)]
    body = {"spec": "quality", "target": "model@1", "values": values}
    error = api.call("auditee", "POST", "/api/v1/evidence", json=body).json()["error"]
    assert error["message"].endswith("; and 1480 more")
    assert error["message"].count("values[") == 20
    assert len(error["problems"]) == 1000

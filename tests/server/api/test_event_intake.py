"""Events received by the server: CDEvents (structured and binary), GitHub and GitLab webhooks
with their providers' checks, MLflow registry deliveries; deduplication, refusals that store
nothing, scopes; and the metrics read back through the API."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from tests.helpers import payloads as p
from tests.helpers.server import Api


def stored(api: Api) -> dict[str, int]:
    from assay.store import open_store
    from assay.store.config import DatabaseChoice

    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        return store.events.counts()
    finally:
        store.close()


def test_cdevents_structured_and_binary_are_stored_once(api: Api) -> None:
    body = p.structured(p.SERVICE_DEPLOYED)
    first = api.client.post(
        "/api/v1/events",
        content=json.dumps(body),
        headers={**api.headers("auditee"), "content-type": "application/cloudevents+json"},
    )
    assert first.status_code == 200, first.text
    assert first.json()["metrics"]["stored"] == 1
    assert first.json()["duplicate"] is False
    headers = {
        **api.headers("auditee"),
        "ce-specversion": "1.0",
        "ce-id": body["id"],
        "ce-source": body["source"],
        "ce-type": body["type"],
        "content-type": "application/json",
    }
    again = api.client.post(
        "/api/v1/events", content=json.dumps(p.SERVICE_DEPLOYED), headers=headers
    )
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert stored(api) == {"deployment": 1}


def test_a_cdevents_rollback_undoes_the_latest_deployment(api: Api) -> None:
    for event in (
        p.SERVICE_DEPLOYED,
        p.SERVICE_ROLLEDBACK,
        p.INCIDENT_DETECTED,
        p.INCIDENT_RESOLVED,
    ):
        answer = api.call("auditee", "POST", "/api/v1/events", json=p.structured(event))
        assert answer.status_code == 200, answer.text
    dora = api.call(
        "auditor",
        "GET",
        "/api/v1/metrics/dora",
        params={
            "service": "service/myservice",
            "since": "2026-11-20T00:00:00Z",
            "until": "2026-11-21T00:00:00Z",
        },
    )
    assert dora.status_code == 200, dora.text
    figures = dora.json()
    assert figures["change_failure_rate"] == {"value": 1.0, "failed": 1, "deployments": 1}
    # Deployed 14:27:05.315384, rolled back 15:27:05, incident resolved 16:27:05: the
    # rollback restored service first.
    assert figures["recovery_time_hours"]["median"] == pytest.approx((3600 - 0.315384) / 3600)
    assert figures["lead_time_hours"]["median"] == pytest.approx((4 * 3600 + 0.315384) / 3600)


def test_a_bad_cdevent_is_refused_and_nothing_is_stored(api: Api) -> None:
    future = p.cdevent(
        "dev.cdevents.service.deployed.0.2.0",
        p.SERVICE_DEPLOYED["subject"],
        id="f",
        timestamp="2099-01-01T00:00:00Z",
    )
    answer = api.call("auditee", "POST", "/api/v1/events", json=p.structured(future))
    assert answer.status_code == 422
    assert "in the future" in answer.json()["error"]["message"]
    assert stored(api) == {}
    assert (
        api.call(
            "auditor", "POST", "/api/v1/events", json=p.structured(p.SERVICE_DEPLOYED)
        ).status_code
        == 403
    )
    assert (
        api.call(None, "POST", "/api/v1/events", json=p.structured(p.SERVICE_DEPLOYED)).status_code
        == 401
    )


def test_a_scoped_token_sends_only_its_own_services_events(api: Api) -> None:
    answer = api.call("scoped", "POST", "/api/v1/events", json=p.structured(p.SERVICE_DEPLOYED))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "out_of_scope"
    assert stored(api) == {}


def github_headers(event: str, body: bytes, secret: str, delivery: str) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={signature}",
        "content-type": "application/json",
    }


def test_github_signed_deliveries(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_GITHUB_WEBHOOK_SECRET", "gh-secret")
    push = json.dumps(p.GITHUB_PUSH).encode()
    ok = api.client.post(
        "/api/v1/webhooks/github?service=shop",
        content=push,
        headers=github_headers("push", push, "gh-secret", "d-1"),
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["stored"] == 1
    status = json.dumps(p.GITHUB_DEPLOYMENT_STATUS).encode()
    forged = api.client.post(
        "/api/v1/webhooks/github?service=shop",
        content=status,
        headers=github_headers("deployment_status", status, "wrong", "d-2"),
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "bad_signature"
    # A token does not replace the signature when a secret is configured.
    unsigned = api.client.post(
        "/api/v1/webhooks/github",
        content=status,
        headers={**api.headers("auditee"), "X-GitHub-Event": "deployment_status"},
    )
    assert unsigned.status_code == 401
    assert stored(api) == {"push": 1}
    deployed = api.client.post(
        "/api/v1/webhooks/github?service=shop",
        content=status,
        headers=github_headers("deployment_status", status, "gh-secret", "d-3"),
    )
    assert deployed.json()["stored"] == 1
    again = api.client.post(
        "/api/v1/webhooks/github?service=shop",
        content=status,
        headers=github_headers("deployment_status", status, "gh-secret", "d-3"),
    )
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 1)
    ping = json.dumps({"zen": "Keep it simple.", "hook_id": 1}).encode()
    pinged = api.client.post(
        "/api/v1/webhooks/github",
        content=ping,
        headers=github_headers("ping", ping, "gh-secret", "d-4"),
    )
    assert pinged.json()["ignored"] == "ping"
    # The deployed sha was the head of the push: the deployment carries both of its commits
    # (10:00Z and 11:00Z, deployed 14:30Z): 4.5 h and 3.5 h.
    dora = api.call(
        "auditor",
        "GET",
        "/api/v1/metrics/dora",
        params={
            "service": "shop",
            "since": "2026-11-20T00:00:00Z",
            "until": "2026-11-21T00:00:00Z",
        },
    ).json()
    assert dora["lead_time_hours"] == {"median": 4.0, "p90": pytest.approx(4.4), "changes": 2}


def test_github_without_a_secret_needs_an_auditee_token(api: Api) -> None:
    body = json.dumps(p.GITHUB_PUSH).encode()
    headers = {"X-GitHub-Event": "push", "content-type": "application/json"}
    assert (
        api.client.post("/api/v1/webhooks/github", content=body, headers=headers).status_code == 401
    )
    answer = api.client.post(
        "/api/v1/webhooks/github", content=body, headers={**headers, **api.headers("auditee")}
    )
    assert answer.status_code == 200, answer.text


def test_gitlab_token_checked_first(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_GITLAB_WEBHOOK_TOKEN", "gl-token")
    body = json.dumps(p.GITLAB_DEPLOYMENT).encode()
    wrong = api.client.post(
        "/api/v1/webhooks/gitlab",
        content=b"not json",
        headers={"X-Gitlab-Token": "nope", "X-Gitlab-Event": "Deployment Hook"},
    )
    assert wrong.status_code == 401
    ok = api.client.post(
        "/api/v1/webhooks/gitlab",
        content=body,
        headers={
            "X-Gitlab-Token": "gl-token",
            "X-Gitlab-Event": "Deployment Hook",
            "content-type": "application/json",
        },
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["types"] == {"deployment": 1}
    assert stored(api) == {"deployment": 1}


def test_mlflow_registry_deliveries_become_life_cycle_events(api: Api) -> None:
    delivery: dict[str, Any] = {
        "entity": "model_version",
        "action": "created",
        "timestamp": "2026-11-20T10:00:00Z",
        "data": {
            "name": "fraud",
            "version": "3",
            "source": "runs:/r/model",
            "run_id": "r",
            "tags": {},
            "description": None,
        },
    }
    answer = api.call("auditee", "POST", "/api/v1/webhooks/mlflow", json=delivery)
    assert answer.status_code == 200, answer.text
    alias = {
        "entity": "model_version_alias",
        "action": "created",
        "timestamp": "2026-11-20T12:00:00Z",
        "data": {"name": "fraud", "alias": "champion", "version": "3"},
    }
    assert api.call("auditee", "POST", "/api/v1/webhooks/mlflow", json=alias).status_code == 200
    assert stored(api) == {"model_registered": 1, "model_deployed": 1}
    ml = api.call(
        "auditor",
        "GET",
        "/api/v1/metrics/ml",
        params={"since": "2026-11-20T00:00:00Z", "until": "2026-11-21T00:00:00Z"},
    )
    assert ml.status_code == 200, ml.text
    assert ml.json()["time_to_redeploy_hours"] == {"median": 2.0, "versions": 1}


def test_metrics_api_roles_and_bad_windows(api: Api) -> None:
    assert api.call("auditee", "GET", "/api/v1/metrics/dora").status_code == 403
    answer = api.call("admin", "GET", "/api/v1/metrics/dora", params={"window": "90d"})
    assert answer.status_code == 200
    assert set(answer.json()) >= {
        "service",
        "environment",
        "since",
        "until",
        "deployment_frequency",
        "lead_time_hours",
        "change_failure_rate",
        "recovery_time_hours",
        "rework_rate",
        "tiers",
    }
    bad = api.call(
        "auditor",
        "GET",
        "/api/v1/metrics/dora",
        params={"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"},
    )
    assert bad.status_code == 422
    assert (
        api.call("auditor", "GET", "/api/v1/metrics/dora", params={"window": "7x"}).status_code
        == 422
    )


def test_a_scoped_reader_sees_only_its_own_figures(api: Api) -> None:
    from assay.store import open_store
    from assay.store.config import DatabaseChoice
    from assay.store.tokens import Role, create_token

    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        _, scoped = create_token(store, name="svc auditor", role=Role.auditor, scope="web")
    finally:
        store.close()
    headers = {"Authorization": f"Bearer {scoped}"}
    mine = api.client.get("/api/v1/metrics/dora", params={"service": "web"}, headers=headers)
    assert mine.status_code == 200
    for params in ({}, {"service": "api"}):
        other = api.client.get("/api/v1/metrics/dora", params=params, headers=headers)
        assert other.status_code == 403
        assert other.json()["error"]["code"] == "out_of_scope"
    assert api.client.get("/api/v1/metrics/ml", headers=headers).status_code == 403
    page = api.client.get("/ui/metrics", headers=headers, follow_redirects=False)
    assert page.status_code == 403


def test_an_alias_moved_to_an_older_version_is_a_model_rollback(api: Api) -> None:
    def alias(version: str, stamp: str, model: str = "fraud") -> None:
        delivery = {
            "entity": "model_version_alias",
            "action": "created",
            "timestamp": stamp,
            "data": {"name": model, "alias": "champion", "version": version},
        }
        assert (
            api.call("auditee", "POST", "/api/v1/webhooks/mlflow", json=delivery).status_code == 200
        )

    alias("3", "2026-11-20T10:00:00Z")
    alias("9", "2026-11-20T11:00:00Z", model="other")  # another model's newer deployment
    alias("2", "2026-11-20T12:00:00Z")
    from assay.store import open_store
    from assay.store.config import DatabaseChoice

    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        rows = store.events.listed(types=["model_deployed"], model="fraud")
    finally:
        store.close()
    flags = {json.loads(r.body)["version"]: json.loads(r.body)["rollback"] for r in rows}
    assert flags == {"3": False, "2": True}

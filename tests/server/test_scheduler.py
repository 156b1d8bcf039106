"""Continuous assessment: scheduled runs on time across a restart, never twice across server
processes, expiry suspending certificates, CloudEvents and MLflow webhooks starting runs."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from mlflow.webhooks.delivery import _generate_hmac_signature

from assay.audit.run_model import RunModel
from assay.files.spec import load_spec
from assay.server.scheduler import Scheduler
from assay.services import audit_actions
from assay.services.registrations import Mode, register_target
from assay.store import open_store
from assay.store.audit_log import AuditLog
from assay.store.config import DatabaseChoice
from assay.store.schedule import list_jobs
from tests.helpers.databases import POSTGRES_URL, postgres_schema
from tests.helpers.server import PUSH_SPEC, running_api, serve_process
from tests.helpers.specs import spec_document


def scheduled_spec(tmp_path: Path, every: str) -> Path:
    """A spec reading accuracy from metrics.json, required every ``every``."""
    document = spec_document(
        [{"id": "accuracy", "name": "A", "comparison": "greater_or_equal", "target": 0.8}],
        spec_id="nightly",
        metric={"assessment_interface": "file:metrics.json#accuracy"},
    )
    document["dimensions"][0]["requirements"][0]["frequency"] = every
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.9}))
    path = tmp_path / "spec.yaml"
    path.write_text(json.dumps(document))
    return path


def test_a_scheduled_run_keeps_time_across_a_restart(database_url: str, tmp_path: Path) -> None:
    loaded = load_spec(scheduled_spec(tmp_path, "PT60S"))
    choice = DatabaseChoice(database_url, "test")
    store = open_store(choice)
    start = float(int(time.time()))  # whole seconds: exact through datetime and back
    register_target(
        store, loaded, "m@1", mode=Mode.certification, model=None, by=None, now=_at(start)
    )
    clock = [start]
    first = Scheduler(store, tmp_path, clock=lambda: clock[0])
    assert len(first.run_due()) == 1, "due at once when registered"
    clock[0] = start + 30
    assert first.run_due() == [], "not due again before its frequency"
    store.close()

    store = open_store(choice)  # a restart: a new process would see only the database
    second = Scheduler(store, tmp_path, clock=lambda: clock[0])
    assert second.run_due() == [], "a restart repeats nothing"
    clock[0] = start + 61
    assert len(second.run_due()) == 1, "on time after the restart"
    clock[0] = start + 61 + 600  # down for ten periods
    assert len(second.run_due()) == 1, "one catch-up run, not ten"
    assert second.run_due() == []
    (job,) = list_jobs(store.database)
    assert start + 661 < job.next_due <= start + 721
    runs = AuditLog(store.ledger).runs("nightly", "m@1")
    assert [(run.trigger or {})["kind"] for run in runs] == ["schedule"] * 3
    assert len({(run.trigger or {})["due"] for run in runs}) == 3
    store.close()


def _at(moment: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment, UTC)


def test_a_job_held_by_another_process_is_not_run_twice(database_url: str, tmp_path: Path) -> None:
    loaded = load_spec(scheduled_spec(tmp_path, "PT60S"))
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        now = float(int(time.time()))
        register_target(
            store, loaded, "m@1", mode=Mode.self_assessment, model=None, by=None, now=_at(now)
        )
        one = Scheduler(store, tmp_path, clock=lambda: now)
        other = Scheduler(store, tmp_path, clock=lambda: now)
        (job,) = list_jobs(store.database)
        from assay.store.schedule import claim_job

        assert claim_job(store.database, job, other.owner, now, 600)
        assert one.run_due() == [], "leased by the other process"
        assert AuditLog(store.ledger).runs() == []
    finally:
        store.close()


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="ASSAY_TEST_POSTGRES_URL is not set")
def test_two_server_processes_on_postgresql_never_double_run(tmp_path: Path) -> None:
    loaded = load_spec(scheduled_spec(tmp_path, "PT1S"))
    with postgres_schema() as url:
        store = open_store(DatabaseChoice(url, "test"))
        register_target(
            store,
            loaded,
            "m@1",
            mode=Mode.self_assessment,
            model=None,
            by=None,
            now=_at(time.time()),
        )
        store.close()
        options = ("--tick", "0.05", "--spec-dir", str(tmp_path))
        with (
            serve_process(url, *options, home=tmp_path / "a") as (first, _),
            serve_process(url, *options, home=tmp_path / "b") as (second, _),
        ):
            # Which process takes a job is not the property (under load one may take them
            # all); that no due time ever runs twice is. Wait for runs, not for a time.
            runs = wait_for_runs(url, "nightly", "m@1", at_least=5)
            servers = {f"{process.pid}" for process in (first, second)}
        store = open_store(DatabaseChoice(url, "test"))
        try:
            runs = AuditLog(store.ledger).runs("nightly", "m@1")
            assert store.ledger.verify().ok
        finally:
            store.close()
    dues = [(run.trigger or {})["due"] for run in runs]
    assert len(dues) == len(set(dues)), f"a due time ran twice: {dues}"
    owners = {(run.trigger or {})["by"].split(":")[1] for run in runs}
    assert owners <= servers, "every run was made by one of the two server processes"


def wait_for_runs(
    url: str, spec: str, target: str, *, at_least: int, seconds: float = 120
) -> list[RunModel]:
    """The runs of (spec, target) once there are ``at_least`` of them (failing after
    ``seconds``, which only a stuck scheduler reaches)."""
    deadline = time.monotonic() + seconds
    while True:
        store = open_store(DatabaseChoice(url, "test"))
        try:
            runs = AuditLog(store.ledger).runs(spec, target)
        finally:
            store.close()
        if len(runs) >= at_least:
            return runs
        assert time.monotonic() < deadline, f"only {len(runs)} runs after {seconds} s"
        time.sleep(0.2)


def test_expired_evidence_suspends_the_certificate(database_url: str, tmp_path: Path) -> None:
    loaded = load_spec(scheduled_spec(tmp_path, "PT1S"))
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        from assay.services.audit_runs import run_audit

        run_audit(store, loaded, "m@1")
        issued = audit_actions.certify(
            store, loaded, "m@1", valid_for="P1D", by="c", now=_at(time.time())
        )
        time.sleep(1.2)
        Scheduler(store, tmp_path).sweep_status()
        state = AuditLog(store.ledger).certificates()[issued["certificate"]]
        assert state["state"] == "suspended"
        assert "expired" in state["events"][-1]["reason"]
        statuses = AuditLog(store.ledger).statuses()
        assert statuses[("nightly", "m@1")]["status"] == "expired"
    finally:
        store.close()


def test_cloud_events_run_the_specs_that_listen(database_url: str, tmp_path: Path) -> None:
    with running_api(database_url, tmp_path) as api:
        api.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC)
        api.call("auditee", "POST", "/api/v1/targets", json={"spec": "quality", "target": "m@1"})
        event = {
            "specversion": "1.0",
            "id": "e1",
            "source": "/ci",
            "type": "com.example.model_registered",
            "subject": "m@1",
        }
        answer = api.call("auditee", "POST", "/api/v1/events", json=event)
        assert answer.status_code == 200, answer.text
        (run,) = answer.json()["runs"]
        assert run["target"] == "m@1"
        again = api.call("auditee", "POST", "/api/v1/events", json=event).json()
        assert again["duplicate"] is True, "a retried event (same source and id) runs nothing"
        assert again["runs"] == answer.json()["runs"]
        assert len(api.call("auditor", "GET", "/api/v1/runs").json()) == 1
        other = {**event, "type": "deployed", "id": "e2"}
        ignored = api.call("auditee", "POST", "/api/v1/events", json=other)
        assert ignored.json()["runs"] == []
        no_target = {k: v for k, v in event.items() if k != "subject"}
        refused = api.call("auditee", "POST", "/api/v1/events", json={**no_target, "id": "e3"})
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "no_target")
        bad = api.call("auditee", "POST", "/api/v1/events", json={**event, "specversion": "0.3"})
        assert bad.status_code == 422
        stored = AuditLog(open_store(DatabaseChoice(database_url, "t")).ledger).runs()
        assert stored[-1].trigger == {"kind": "event", "type": event["type"], "id": "e1"}


def mlflow_delivery(secret: str, name: str, version: str) -> tuple[bytes, dict[str, str]]:
    """A model_version.created delivery as MLflow's webhook sender builds and signs it."""
    payload = json.dumps(
        {
            "entity": "model_version",
            "action": "created",
            "timestamp": "2026-11-25T00:00:00+00:00",
            "data": {
                "name": name,
                "version": version,
                "source": "models:/1",
                "run_id": "abcd",
                "tags": {},
                "description": None,
            },
        }
    )
    delivery, stamp = str(uuid.uuid4()), str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-MLflow-Delivery-Id": delivery,
        "X-MLflow-Timestamp": stamp,
        "X-MLflow-Signature": _generate_hmac_signature(secret, delivery, stamp, payload),
    }
    return payload.encode(), headers


def test_an_mlflow_model_version_starts_the_specs_registered_for_it(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_MLFLOW_WEBHOOK_SECRET", "s3cret")
    with running_api(database_url, tmp_path) as api:
        api.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC)
        registration = {
            "spec": "quality",
            "target": "credit@1",
            "model": "credit",
            "mode": "certification",
        }
        api.call("auditee", "POST", "/api/v1/targets", json=registration)
        body, headers = mlflow_delivery("s3cret", "credit", "2")
        answer = api.client.post("/api/v1/webhooks/mlflow", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        (run,) = answer.json()["runs"]
        assert run["target"] == "credit@2"
        assert "MLFLOW_TRACKING_URI" in run["registry"]["error"], "no registry to write back to"
        redelivered = api.client.post("/api/v1/webhooks/mlflow", content=body, headers=headers)
        assert redelivered.json()["duplicate"] is True, "MLflow's retry of a delivery"
        targets = api.call("auditor", "GET", "/api/v1/targets").json()
        assert ("credit@2", "certification") in {(t["target"], t["mode"]) for t in targets}

        forged, forged_headers = mlflow_delivery("wrong", "credit", "3")
        refused = api.client.post("/api/v1/webhooks/mlflow", content=forged, headers=forged_headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (401, "bad_signature")
        unsigned = api.client.post("/api/v1/webhooks/mlflow", content=forged)
        assert unsigned.status_code == 401
        other, other_headers = mlflow_delivery("s3cret", "credit", "4")
        tag_set = json.loads(other) | {"entity": "model_version_tag", "action": "set"}
        text = json.dumps(tag_set)
        other_headers["X-MLflow-Signature"] = _generate_hmac_signature(
            "s3cret",
            other_headers["X-MLflow-Delivery-Id"],
            other_headers["X-MLflow-Timestamp"],
            text,
        )
        ignored = api.client.post("/api/v1/webhooks/mlflow", content=text, headers=other_headers)
        assert ignored.json()["runs"] == []
        runs = api.call("auditor", "GET", "/api/v1/runs").json()
        assert [r["target"] for r in runs] == ["credit@2"]


def test_a_real_server_runs_scheduled_jobs_and_serves_metrics(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'assay.db'}"
    loaded = load_spec(scheduled_spec(tmp_path, "PT1S"))
    store = open_store(DatabaseChoice(url, "test"))
    register_target(
        store, loaded, "m@1", mode=Mode.self_assessment, model=None, by=None, now=_at(time.time())
    )
    store.close()
    with serve_process(url, "--tick", "0.1", "--spec-dir", str(tmp_path), home=tmp_path) as (
        _,
        base,
    ):
        expected = 'assay_measurement_value{measurement="accuracy",spec="nightly",target="m@1"} 0.9'
        deadline = time.monotonic() + 30
        while expected not in (text := httpx.get(f"{base}/metrics").text):
            assert time.monotonic() < deadline, text
            time.sleep(0.2)
        assert "assay_runs_total" in text


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="ASSAY_TEST_POSTGRES_URL is not set")
def test_serve_with_workers_on_postgresql(tmp_path: Path) -> None:
    loaded = load_spec(scheduled_spec(tmp_path, "PT1S"))
    with postgres_schema() as url:
        store = open_store(DatabaseChoice(url, "test"))
        now = _at(time.time())
        register_target(store, loaded, "m@1", mode=Mode.third_party, model=None, by=None, now=now)
        store.close()
        options = ("--workers", "2", "--tick", "0.05", "--spec-dir", str(tmp_path))
        with serve_process(url, *options, home=tmp_path) as (_, base):
            for _ in range(20):
                assert httpx.get(f"{base}/status/m@1.json").status_code in (200, 404)
            wait_for_runs(url, "nightly", "m@1", at_least=3)
            status = httpx.get(f"{base}/status/m@1.json").json()
        store = open_store(DatabaseChoice(url, "test"))
        try:
            runs = AuditLog(store.ledger).runs("nightly", "m@1")
        finally:
            store.close()
    assert status["specs"][0]["mode"] == "third-party"
    dues = [(run.trigger or {})["due"] for run in runs]
    assert len(dues) >= 3
    assert len(dues) == len(set(dues))


def test_several_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    from tests.helpers.running import run_process

    url = f"sqlite:///{tmp_path / 'assay.db'}"
    result = run_process("serve", "--workers", "2", "--db", url, timeout=60)
    assert result.exit_code == 2
    assert "--workers" in result.stderr
    assert "PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr

"""Specifications through the Audit API: upload, versions, documents, refusals. On SQLite and the
CI PostgreSQL, through the real application in process."""

from __future__ import annotations

import copy

from assay.store import open_store
from assay.store.audit_log import MEASUREMENT
from assay.store.config import DatabaseChoice
from tests.helpers.server import PUSH_SPEC, Api, ledger_count, push


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

"""Assessor verdicts, certificates and the ledger range through the Audit API. On SQLite and the CI
PostgreSQL, through the real application in process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.server import Api, prepared, push


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


def test_the_api_and_the_command_line_list_certificates_alike(
    api: Api, capsys: pytest.CaptureFixture[str], assay_home: Path
) -> None:
    from tests.helpers.running import run_cli

    prepared(api)
    push(api, 0.9, 50)
    issued = api.call(
        "certifier", "POST", "/api/v1/certificates", json={"spec": "quality", "target": "model@1"}
    )
    assert issued.status_code == 201, issued.text
    suspended = api.call(
        "certifier",
        "POST",
        f"/api/v1/certificates/{issued.json()['certificate']}/suspend",
        json={"reason": "review"},
    )
    assert suspended.status_code == 200
    served = api.call("auditor", "GET", "/api/v1/certificates").json()
    listed = json.loads(
        run_cli(capsys, "audit", "certificates", "--db", api.url, "-f", "json").stdout
    )
    assert served == listed
    (row,) = served
    assert row["state"] == "suspended"
    assert row["issued"]
    assert [event["event"] for event in row["events"]] == ["issued", "suspended"]
    assert row["events"][0]["run_id"] == row["run_id"]

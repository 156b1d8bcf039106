"""Schemathesis against the served /openapi.json of a real ``assay serve`` process: generated
requests to every operation, as every role (a scoped auditor and callers without a valid token
included), never get a 5xx; no response to a caller without internal access holds a
confidential value; no response to anyone holds a file outside --spec-dir or a secret of the
server's environment; the ledger verifies afterwards."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from assay.files.spec import spec_from_text
from assay.services.registrations import store_spec
from assay.store import open_store
from assay.store.config import DatabaseChoice
from assay.store.tokens import Role, create_token
from tests.helpers.server import PUSH_SPEC, make_tokens, serve_process

CONFIDENTIAL = ("73.918273", "117.25", "internal cost model 7b")
OUTSIDE = "s3cr3t-outside-the-spec-dir"
ENVIRONMENT = "env-s3cr3t-of-the-server"
EXAMPLES = 15


def confidential_spec() -> dict[str, Any]:
    spec = copy.deepcopy(PUSH_SPEC)
    latency = spec["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][1]
    latency |= {"target": float(CONFIDENTIAL[1]), "comment": CONFIDENTIAL[2]}
    return spec


def hostile_spec(path: str) -> dict[str, Any]:
    """A spec reading ``path`` (outside the spec directory), as stored by an older server."""
    measurement = {
        "id": "stolen",
        "name": "Stolen",
        "comparison": "equal_to",
        "target": "x",
        "data_type": "string",
        "assessment_interface": {"kind": "file", "path": path, "format": "text"},
    }
    metric = {"id": "m", "name": "M", "measurements": [measurement]}
    requirement = {"id": "r", "name": "R", "metrics": [metric]}
    dimension = {"id": "d", "name": "D", "requirements": [requirement]}
    return {"spec": 1, "id": "hostile", "name": "H", "dimensions": [dimension]}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A server holding a confidential spec with pushed values, a spec stored before the
    confinement rules that reads a file outside the spec directory, and a token per caller."""
    home = tmp_path_factory.mktemp("fuzz")
    spec_dir = home / "specs"
    spec_dir.mkdir()
    outside = home / "outside.txt"
    outside.write_text(OUTSIDE, encoding="utf-8")
    url = f"sqlite:///{home / 'assay.db'}"
    tokens = make_tokens(url)
    store = open_store(DatabaseChoice(url, "test"))
    try:
        tokens["scoped"] = create_token(store, name="s", role=Role.auditor, scope="model@1")[1]
        tokens["wrong"] = "assay_0000000000000000_not-a-token"
        store_spec(store, spec_from_text(json.dumps(hostile_spec(str(outside))), "old", spec_dir))
    finally:
        store.close()
    options = ("--no-scheduler", "--spec-dir", str(spec_dir))
    environment = {"ASSAY_FUZZ_SERVER_SECRET": ENVIRONMENT}
    with serve_process(url, *options, home=home, env=environment) as (_, base):
        auditee = {"Authorization": f"Bearer {tokens['auditee']}"}
        spec = confidential_spec()
        httpx.post(f"{base}/api/v1/specs", json=spec, headers=auditee).raise_for_status()
        for spec_id, target in (("quality", "model@1"), ("quality", "other@2"), ("hostile", "h@1")):
            registration = {"spec": spec_id, "target": target}
            httpx.post(
                f"{base}/api/v1/targets", json=registration, headers=auditee
            ).raise_for_status()
        for target in ("model@1", "other@2"):
            evidence = {
                "spec": "quality",
                "target": target,
                "values": [
                    {"measurement": "accuracy", "value": 0.9},
                    {"measurement": "latency", "value": float(CONFIDENTIAL[0])},
                ],
            }
            httpx.post(f"{base}/api/v1/evidence", json=evidence, headers=auditee).raise_for_status()
        run = {"spec": "hostile", "target": "h@1"}
        httpx.post(f"{base}/api/v1/runs", json=run, headers=auditee).raise_for_status()
        yield base, tokens
        verified = httpx.get(
            f"{base}/api/v1/ledger/verify",
            headers={"Authorization": f"Bearer {tokens['admin']}"},
        ).json()
        assert verified["ok"], verified


# Who may see confidential values: the owner of the system (auditee) and internal readers.
SEES_CONFIDENTIAL = {"auditee", "internal", "admin"}
# Every response must be one the OpenAPI document declares: its status, content type and body.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CALLERS = ("auditee", "auditor", "internal", "scoped", "certifier", "admin", "wrong", None)


def test_every_response_conforms_and_none_is_a_server_error_or_a_secret(
    served: tuple[str, dict[str, str]],
) -> None:
    base, tokens = served
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    callers = [(who, {"Authorization": f"Bearer {tokens[who]}"} if who else {}) for who in CALLERS]
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document is invalid: {result.err()}"
        operations.append(result.ok())
    assert len(operations) >= 26, "every operation of the Audit API is exercised"
    checked = 0

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def no_server_error_and_no_leak(case: Any) -> None:
            nonlocal checked
            for who, headers in callers:
                response = case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)
                text = response.text
                assert OUTSIDE not in text, (who, case.path)
                assert ENVIRONMENT not in text, (who, case.path)
                if who not in SEES_CONFIDENTIAL:
                    for sentinel in CONFIDENTIAL:
                        assert sentinel not in text, (who, case.method, case.path, sentinel)
                checked += 1

        no_server_error_and_no_leak()
    assert checked >= len(operations) * len(callers)


@pytest.mark.parametrize("who", ["auditor", "scoped", "certifier", "wrong", None])
def test_every_reading_endpoint_withholds_confidential_values(
    served: tuple[str, dict[str, str]], who: str | None
) -> None:
    """The requests a reader would make, not only generated ones: lists, runs, reports in every
    format and audience, spec documents, the ledger and its export, pages and metrics."""
    base, tokens = served
    headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
    auditee = {"Authorization": f"Bearer {tokens['auditee']}"}
    runs = httpx.get(f"{base}/api/v1/runs", headers=auditee).json()
    versions = httpx.get(f"{base}/api/v1/specs/quality", headers=auditee).json()
    paths = [
        "/api/v1/runs",
        "/api/v1/specs",
        "/api/v1/targets",
        "/api/v1/certificates",
        "/api/v1/ledger?limit=10000",
        "/api/v1/ledger/export",
        "/metrics",
        "/status/model@1.json",
        "/status/model@1",
        *(f"/api/v1/specs/quality/{version['hash']}" for version in versions),
    ]
    for run in runs:
        paths.append(f"/api/v1/runs/{run['run_id']}")
        for fmt in ("json", "html", "markdown"):
            for audience in ("auditor", "public", "executive", "engineer"):
                paths.append(
                    f"/api/v1/runs/{run['run_id']}/report?format={fmt}&audience={audience}"
                )
    cookies = {"assay_token": tokens[who]} if who else {}
    paths += [f"/ui/targets/{target}" for target in ("model@1", "other@2", "h@1")]
    paths += [f"/ui/runs/{run['run_id']}" for run in runs]
    for path in paths:
        response = httpx.get(f"{base}{path}", headers=headers, cookies=cookies)
        assert response.status_code < 500, (path, response.text)
        for sentinel in (*CONFIDENTIAL, OUTSIDE, ENVIRONMENT):
            assert sentinel not in response.text, (who, path, sentinel)

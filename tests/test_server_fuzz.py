"""Schemathesis against the served /openapi.json of a real ``assay serve`` process: generated
requests to every operation, as every role, never get a 5xx; the ledger verifies afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from tests.helpers.server import PUSH_SPEC, make_tokens, serve_process


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A server with a spec, a registered target and one pushed run, and a token per role."""
    home = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{home / 'assay.db'}"
    tokens = make_tokens(url)
    with serve_process(url, "--no-scheduler", "--spec-dir", str(home), home=home) as (_, base):
        auditee = {"Authorization": f"Bearer {tokens['auditee']}"}
        httpx.post(f"{base}/api/v1/specs", json=PUSH_SPEC, headers=auditee).raise_for_status()
        registration = {"spec": "quality", "target": "model@1"}
        httpx.post(f"{base}/api/v1/targets", json=registration, headers=auditee).raise_for_status()
        evidence = {
            "spec": "quality",
            "target": "model@1",
            "values": [{"measurement": "accuracy", "value": 0.9}],
        }
        httpx.post(f"{base}/api/v1/evidence", json=evidence, headers=auditee).raise_for_status()
        yield base, tokens
        verified = httpx.get(
            f"{base}/api/v1/ledger/verify",
            headers={"Authorization": f"Bearer {tokens['admin']}"},
        ).json()
        assert verified["ok"], verified


def test_no_request_gets_a_server_error(served: tuple[str, dict[str, str]]) -> None:
    base, tokens = served
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    callers = [{"Authorization": f"Bearer {tokens[who]}"} for who in ROLES] + [{}]
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document is invalid: {result.err()}"
        operations.append(result.ok())
    assert len(operations) >= 25, "every operation of the Audit API is exercised"

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def no_server_error(case: Any) -> None:
            for headers in callers:
                case.call_and_validate(base_url=base, headers=headers, checks=[not_a_server_error])

        no_server_error()


ROLES = ("auditee", "internal", "certifier", "admin")

"""The Audit API server: public status and badges, in process and as a real server process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from assay.files.spec import load_spec
from assay.server.app import create_app
from assay.server.settings import ServerSettings
from assay.services import audit_actions
from assay.services.audit_runs import run_audit
from assay.store import open_store
from assay.store.config import DatabaseChoice
from assay.store.tokens import Role, create_token
from tests.helpers.paths import REPO
from tests.helpers.server import serve_process
from tests.helpers.specs import spec_document

SPEC = spec_document(
    [
        {
            "id": "accuracy",
            "name": "Accuracy",
            "comparison": "greater_or_equal",
            "target": 0.8,
            "select": "accuracy",
            "confidential": True,
        }
    ],
    spec_id="quality",
    metric={"assessment_interface": "file:metrics.json"},
)
DOCS_OPENAPI = REPO / "docs" / "openapi.json"


@pytest.fixture
def audited(tmp_path: Path, database_url: str) -> str:
    """A store where good@1 passed (and is certified) and bad@1 failed."""
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    loaded = load_spec(tmp_path / "spec.yaml")
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.9}))
        run_audit(store, loaded, "good@1")
        audit_actions.certify(
            store, loaded, "good@1", valid_for="P30D", by=None, now=datetime.now(UTC)
        )
        (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.5}))
        run_audit(store, loaded, "bad@1")
    finally:
        store.close()
    return database_url


@pytest.fixture
def client(audited: str) -> Iterator[TestClient]:
    settings = ServerSettings(audited, "test", scheduler=False)
    with TestClient(create_app(settings)) as running:
        yield running


def test_public_status_and_badges(client: TestClient, audited: str) -> None:
    health = client.get("/health").json()
    assert (health["status"], health["schema"]) == ("ok", "0010")
    good = client.get("/status/good@1.json")
    assert good.status_code == 200
    assert good.headers["cache-control"] == "public, max-age=60"
    body = good.json()
    assert (body["status"], body["specs"][0]["spec"]) == ("conformant", "quality")
    assert list(body["specs"][0]["certificates"].values()) == ["active"]
    assert client.get("/status/bad@1.json").json()["status"] == "non-conformant"
    badge = client.get("/badge/good@1.svg")
    assert badge.headers["content-type"] == "image/svg+xml"
    assert ">conformant</text>" in badge.text
    assert "#2da44e" in badge.text
    assert ">non-conformant</text>" in client.get("/badge/bad@1.svg").text
    assert ">unknown</text>" in client.get("/badge/nobody.svg").text
    missing = client.get("/status/nobody.json")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_target"
    page = client.get("/status/good@1")
    assert '<span id="status" class="state conformant">conformant</span>' in page.text
    store = open_store(DatabaseChoice(audited, "test"))
    try:
        (certificate,) = body["specs"][0]["certificates"]
        audit_actions.revoke(store, certificate, reason="withdrawn", now=datetime.now(UTC))
        before = store.ledger.count()
    finally:
        store.close()
    assert client.get("/status/good@1.json").json()["status"] == "revoked"
    assert ">revoked</text>" in client.get("/badge/good@1.svg").text
    store = open_store(DatabaseChoice(audited, "test"))
    try:
        assert store.ledger.count() == before, "reading status stores nothing"
    finally:
        store.close()


def test_the_public_status_page_is_a_status_page(client: TestClient, audited: str) -> None:
    """Badge, state, when it was last evaluated (to the second), each dimension's outcome, the
    certificate with its validity, and the timeline of status changes; readable on a phone."""
    body = client.get("/status/good@1.json").json()
    (spec,) = body["specs"]
    assert body["last_evaluated"] == spec["evaluated"]
    assert spec["dimensions"] == [{"id": "d", "name": "D", "outcome": "pass"}]
    (certificate,) = spec["certificate_validity"]
    assert certificate["state"] == "active"
    assert body["history"][0]["status"] == "conformant"
    page = client.get("/status/good@1")
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    for part in ('name="viewport"', "<svg", "<style>"):
        assert part in html
    evaluated = datetime.fromisoformat(spec["evaluated"]).astimezone(UTC)
    assert evaluated.strftime("%Y-%m-%d %H:%M:%S UTC") in html, "shown to the second, in UTC"
    assert '<td>D <span class="muted">(d)</span></td>' in html
    assert certificate["certificate"] in html
    assert (
        datetime.fromisoformat(certificate["valid_until"])
        .astimezone(UTC)
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        in html
    )
    assert '<ol class="timeline">' in html
    for hidden in ("accuracy", "Accuracy", "metrics.json", ">0.9<", ">0.8<"):
        assert hidden not in html, f"no measurement, source or value reaches the page: {hidden}"
    missing = client.get("/status/nobody")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html"), "a browser gets a page"
    assert "no audit run is recorded for target nobody" in missing.text
    hostile = client.get("/status/<script>x")
    assert "<script>x" not in hostile.text


def test_the_published_openapi_document_is_current(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    assert json.loads(DOCS_OPENAPI.read_text(encoding="utf-8")) == served, (
        "docs/openapi.json is stale: write the server's /openapi.json to it"
    )


def test_the_openapi_document_describes_every_answer(client: TestClient) -> None:
    """Each operation declares what it answers; errors are the real ``{"error": …}`` body, not
    FastAPI's default validation shape."""
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorBody"]["required"]) == {"error"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            ok = [code for code in answers if code.startswith("2")]
            assert ok, (method, path)
            for code in ok:
                content = answers[code].get("content", {})
                if "application/json" in content:
                    assert content["application/json"]["schema"], (method, path, code)
            for code, answer in answers.items():
                if code.startswith(("4", "5")) and "application/json" in answer.get("content", {}):
                    reference = answer["content"]["application/json"]["schema"]["$ref"]
                    assert reference.endswith("/ErrorBody"), (method, path, code)


def test_assay_serve_answers_over_http(audited: str, tmp_path: Path) -> None:
    with serve_process(audited, home=tmp_path / "home") as (_, base):
        health = httpx.get(f"{base}/health", timeout=5)
        assert health.json()["status"] == "ok"
        badge = httpx.get(f"{base}/badge/bad@1.svg", timeout=5)
        assert ">non-conformant</text>" in badge.text


@pytest.fixture
def tokens(audited: str) -> dict[str, str]:
    """One token per role, and an auditor with internal access."""
    store = open_store(DatabaseChoice(audited, "test"))
    try:
        made = {role.value: create_token(store, name=role.value, role=role)[1] for role in Role}
        made["internal"] = create_token(store, name="in", role=Role.auditor, internal=True)[1]
        return made
    finally:
        store.close()


ALLOWED = {
    "/api/v1/ledger/verify": {"auditor", "admin", "internal"},
    "/api/v1/runs": {"auditee", "auditor", "internal"},
}


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_every_role_against_the_api(client: TestClient, tokens: dict[str, str], path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer assay_nope_nope"}).status_code == 401
    for who, token in tokens.items():
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        expected = 200 if who in ALLOWED[path] else 403
        assert answer.status_code == expected, (who, path, answer.text)
        if expected == 403:
            assert answer.json()["error"]["code"] == "forbidden"


def test_confidential_values_are_redacted_through_the_api(
    client: TestClient, tokens: dict[str, str]
) -> None:
    def as_role(who: str, path: str) -> Any:
        answer = client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    runs = as_role("auditor", "/api/v1/runs?target=good@1")
    assert [run["verdict"] for run in runs] == ["pass"]
    run_id = runs[0]["run_id"]

    def accuracy(who: str) -> Any:
        model = as_role(who, f"/api/v1/runs/{run_id}")
        return model["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][0]["value"]

    assert accuracy("auditor") == "[confidential]"
    assert accuracy("internal") == 0.9
    assert accuracy("auditee") == 0.9
    missing = client.get(
        "/api/v1/runs/ffff", headers={"Authorization": f"Bearer {tokens['auditor']}"}
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "unknown_run")
    verified = as_role("admin", "/api/v1/ledger/verify")
    assert verified["ok"] is True


FREEZE_PROBE = """
import gc, sys
from fastapi.testclient import TestClient
from assay.server.app import create_app
from assay.server.settings import ServerSettings

url, freeze = sys.argv[1], sys.argv[2] == "on"
with TestClient(create_app(ServerSettings(url, "test", scheduler=False,
                                          freeze_startup_objects=freeze))) as client:
    assert client.get("/health").status_code == 200
    print(gc.get_freeze_count())
"""


def _probe(script: str, *args: str) -> str:
    """The last line ``script`` prints, run by Python in a process of its own with ``args``."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("freeze", ["on", "off"])
def test_start_up_objects_are_frozen_only_when_asked(tmp_path: Path, freeze: str) -> None:
    # A process of its own: freezing keeps whatever its process holds for good.
    frozen = int(_probe(FREEZE_PROBE, f"sqlite:///{tmp_path / 'assay.db'}", freeze))
    assert (frozen > 10_000) if freeze == "on" else (frozen == 0), frozen


THRESHOLD_PROBE = """
import gc, json, sys
from fastapi.testclient import TestClient
from assay.server.app import create_app
from assay.server.settings import ServerSettings

url, young = sys.argv[1], json.loads(sys.argv[2])
before = gc.get_threshold()
with TestClient(create_app(ServerSettings(url, "test", scheduler=False,
                                          gc_young_threshold=young))) as client:
    assert client.get("/health").status_code == 200
    print(json.dumps([before, gc.get_threshold()]))
"""


@pytest.mark.parametrize("young", [None, 10_000])
def test_the_youngest_generation_is_collected_as_rarely_as_asked(
    tmp_path: Path, young: int | None
) -> None:
    # A process of its own: the threshold is the whole process's.
    printed = _probe(THRESHOLD_PROBE, f"sqlite:///{tmp_path / 'assay.db'}", json.dumps(young))
    before, after = json.loads(printed)
    assert after == ([young, *before[1:]] if young is not None else before)
    assert before[0] == 700  # Python's own, so the asked value is a change

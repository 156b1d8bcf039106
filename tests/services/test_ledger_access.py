"""What each reader of the evidence ledger receives (services/ledger_access.py), through the
Audit API and the command line, and that every view still verifies offline — on SQLite and the
CI PostgreSQL. Regression tests of issue 12, finding 1."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from assay.files.spec import spec_from_text
from assay.services.audit_runs import PushedValue, run_audit
from assay.store import open_store
from assay.store.chain import SEALED_KEY
from assay.store.config import DatabaseChoice
from assay.store.database import connect
from assay.store.ledger_file import verify_export
from assay.store.migrate import alembic_config
from assay.store.tokens import Role, create_token
from tests.helpers.legacy import append_format_one
from tests.helpers.running import run_cli
from tests.helpers.server import PUSH_SPEC, Api, running_api

# Values no reader without internal access may ever receive.
SECRET_LATENCY = 73.918273
SECRET_TARGET = 117.25
SECRET_COMMENT = "internal cost model 7b"


def confidential_spec() -> dict[str, Any]:
    spec = copy.deepcopy(PUSH_SPEC)
    latency = spec["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][1]
    assert latency["confidential"] is True
    latency["target"] = SECRET_TARGET
    latency["comment"] = SECRET_COMMENT
    return spec


def leaks(text: str) -> list[str]:
    """The confidential sentinels found in ``text``."""
    return [str(s) for s in (SECRET_LATENCY, SECRET_TARGET, SECRET_COMMENT) if str(s) in text]


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    with running_api(database_url, tmp_path) as running:
        store = open_store(DatabaseChoice(database_url, "test"))
        try:
            for name, scope in (("scoped", "model@1"), ("scoped-other", "other@2")):
                running.tokens[name] = create_token(
                    store, name=name, role=Role.auditor, scope=scope
                )[1]
        finally:
            store.close()
        spec = confidential_spec()
        assert running.call("auditee", "POST", "/api/v1/specs", json=spec).status_code == 201
        for target in ("model@1", "other@2"):
            registration = {"spec": "quality", "target": target}
            answer = running.call("auditee", "POST", "/api/v1/targets", json=registration)
            assert answer.status_code == 201, answer.text
            values = [
                {"measurement": "accuracy", "value": 0.91},
                {"measurement": "latency", "value": SECRET_LATENCY, "provenance": {"c": "1"}},
                {"measurement": "latency", "value": SECRET_LATENCY},  # one superseded value
            ]
            push = {"spec": "quality", "target": target, "values": values}
            answer = running.call("auditee", "POST", "/api/v1/evidence", json=push)
            assert answer.status_code == 201, answer.text
        yield running


def export_of(api: Api, who: str, tmp_path: Path) -> tuple[str, Path]:
    answer = api.call(who, "GET", "/api/v1/ledger/export")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    path = tmp_path / f"{who}.jsonl"
    path.write_text(answer.text, encoding="utf-8")
    return answer.text, path


@pytest.mark.parametrize("who", ["auditor", "scoped", "scoped-other"])
def test_auditors_without_internal_access_receive_no_confidential_value(
    api: Api, who: str, tmp_path: Path
) -> None:
    listed = api.call(who, "GET", "/api/v1/ledger", params={"limit": 100})
    assert listed.status_code == 200
    assert leaks(listed.text) == []
    text, path = export_of(api, who, tmp_path)
    assert leaks(text) == []
    assert SEALED_KEY in text or who == "scoped-other"
    header, result = verify_export(path)
    assert result.ok, result.problem
    assert header.redacted
    assert result.entries == len(text.splitlines()) - 1
    assert result.withheld + result.sealed > 0


def test_the_internal_auditor_and_the_admin_receive_every_value_and_it_verifies(
    api: Api, tmp_path: Path
) -> None:
    for who in ("internal", "admin"):
        text, path = export_of(api, who, tmp_path)
        assert str(SECRET_LATENCY) in text
        assert str(SECRET_TARGET) in text
        header, result = verify_export(path)
        assert result.ok, result.problem
        assert (header.redacted, result.withheld, result.sealed) == (False, 0, 0)


def test_a_scoped_token_receives_only_its_targets_entries_in_full(api: Api) -> None:
    entries = api.call("scoped", "GET", "/api/v1/ledger", params={"limit": 1000}).json()["entries"]
    full = [entry for entry in entries if not entry.get("withheld")]
    stubs = [entry for entry in entries if entry.get("withheld")]
    assert full
    assert stubs
    for entry in full:
        payload = entry["payload"]
        target = payload.get("target")
        assert target in ("model@1", None) or entry["kind"] == "audit.spec", entry
        if entry["kind"] != "audit.spec":
            assert target == "model@1", entry
    assert any(entry["kind"] == "audit.run" for entry in full)
    for stub in stubs:
        assert set(stub) == {"seq", "ts", "kind", "payload_hash", "prev_hash", "hash", "withheld"}
    other_runs = [
        entry
        for entry in entries
        if entry["kind"] == "audit.run" and not entry.get("withheld")
        if entry["payload"]["target"] == "other@2"
    ]
    assert other_runs == []


def test_sealed_values_are_seals_in_place_and_disclosed_to_internal_readers(api: Api) -> None:
    def run_entry(who: str) -> dict[str, Any]:
        entries = api.call(who, "GET", "/api/v1/ledger", params={"kind": "audit.run"}).json()
        return dict(entries["entries"][0])

    sealed = run_entry("auditor")
    opened = run_entry("internal")
    assert sealed["payload"] == opened["payload"], "both receive the chained payload"
    latency = sealed["payload"]["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
    node = latency[1]
    assert set(node["value"]) == {SEALED_KEY}
    assert set(node["target"]) == {SEALED_KEY}
    assert set(node["comment"]) == {SEALED_KEY}
    assert latency[0]["value"] == 0.91, "a public value stays in the clear"
    assert "disclosed" not in sealed
    pointer = "/dimensions/0/requirements/0/metrics/0/measurements/1/value"
    assert opened["disclosed"][pointer]["value"] == SECRET_LATENCY


def test_entries_of_the_old_format_that_hold_confidential_values_are_stubs(
    database_url: str, tmp_path: Path
) -> None:
    # A store an older assay filled (schema 0004, entries of format 1): a confidential run,
    # the spec it ran, and a maturity round.
    scratch = open_store(DatabaseChoice(f"sqlite:///{tmp_path / 'scratch.db'}", "test"))
    try:
        loaded = spec_from_text(json.dumps(confidential_spec()), "spec", tmp_path)
        record = run_audit(
            scratch, loaded, "model@1", pushed={"latency": PushedValue(SECRET_LATENCY)}
        )
        old: list[tuple[str, dict[str, Any]]] = [
            (entry.kind, entry.content)
            for entry in scratch.ledger.entries()
            if entry.kind in ("audit.spec", "audit.measurement", "audit.run") and entry.content
        ]
        assert record.model.verdict == "error"  # accuracy was not pushed
    finally:
        scratch.close()
    database = connect(DatabaseChoice(database_url, "test"))
    try:
        config = alembic_config()
        with database.writing() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0004")
        append_format_one(database, [*old, ("maturity.round", {"project": "p", "round": "r"})])
    finally:
        database.dispose()
    with running_api(database_url, tmp_path) as api:
        answer = api.call(
            "auditee",
            "POST",
            "/api/v1/evidence",
            json={"spec": "quality", "target": "model@1", "values": [
                {"measurement": "accuracy", "value": 0.9},
                {"measurement": "latency", "value": SECRET_LATENCY},
            ]},
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        entries = api.call("auditor", "GET", "/api/v1/ledger", params={"limit": 1000}).json()
        first = entries["entries"][: len(old) + 1]
        assert [entry.get("withheld", False) for entry in first] == [True] * len(old) + [False]
        assert all("payload_hash" not in entry for entry in first), "format 1 throughout"
        assert first[-1]["payload"] == {"project": "p", "round": "r"}
        assert any(entry.get("payload_hash") for entry in entries["entries"][len(old) + 1 :])
        assert leaks(json.dumps(entries)) == []
        text, path = export_of(api, "auditor", tmp_path)
        assert leaks(text) == []
        _, result = verify_export(path)
        assert result.ok, result.problem
        assert result.withheld == len(old)
        internal, path = export_of(api, "internal", tmp_path)
        assert str(SECRET_LATENCY) in internal
        assert verify_export(path)[1].ok


def test_the_command_line_exports_a_redacted_view_that_verifies(
    api: Api, capsys: pytest.CaptureFixture[str], tmp_path: Path, assay_home: Path
) -> None:
    redacted = tmp_path / "redacted.jsonl"
    result = run_cli(
        capsys, "ledger", "export", "--db", api.url, "--redacted", "--scope", "other@2",
        "-o", str(redacted),
    )  # fmt: skip
    assert result.exit_code == 0, result
    assert leaks(redacted.read_text(encoding="utf-8")) == []
    verified = run_cli(capsys, "ledger", "verify", "--file", str(redacted), "-f", "json")
    assert verified.exit_code == 0, verified
    data = json.loads(verified.stdout)
    assert (data["redacted"], data["scope"]) == (True, "other@2")
    assert data["withheld"] > 0
    table = run_cli(capsys, "ledger", "verify", "--file", str(redacted))
    assert "withheld from this reader" in table.stdout
    full = tmp_path / "full.jsonl"
    assert run_cli(capsys, "ledger", "export", "--db", api.url, "-o", str(full)).exit_code == 0
    assert str(SECRET_LATENCY) in full.read_text(encoding="utf-8")


def test_the_ledger_in_the_database_checks_every_disclosure(database_url: str, api: Api) -> None:
    from sqlalchemy import update

    from assay.store.schema import ledger_disclosures

    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        assert store.ledger.verify().ok
        with store.database.writing() as conn:
            conn.execute(update(ledger_disclosures).values(value="0.1"))
        result = store.ledger.verify()
    finally:
        store.close()
    assert result.problem is not None
    assert result.problem.code.value == "hash_mismatch"
    assert "does not match its seal" in result.problem.reason

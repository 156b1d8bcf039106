"""Specifications through the Audit API: upload, versions, documents, refusals. On SQLite and the
CI PostgreSQL, through the real application in process."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sqlalchemy import event

from assay.services import evidence
from assay.services.evidence import PushedEvidence
from assay.services.registrations import audited_version
from assay.store import open_store
from assay.store.audit_log import MEASUREMENT, RUN, STATUS, AuditLog
from assay.store.config import DatabaseChoice
from tests.helpers.server import PUSH_SPEC, Api, ledger_count, prepared, push


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


def _second_version() -> dict[str, Any]:
    """PUSH_SPEC with a stricter accuracy target: 0.91 passes the first version, not this."""
    stricter = copy.deepcopy(PUSH_SPEC)
    measurements = stricter["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
    measurements[0]["target"] = 0.95
    return stricter


def test_a_push_or_run_is_judged_against_the_targets_registered_version(api: Api) -> None:
    first = api.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC).json()["hash"]
    registration = {"spec": "quality", "target": "model@1", "mode": "third-party"}
    assert api.call("auditee", "POST", "/api/v1/targets", json=registration).status_code == 201
    second = api.call("auditee", "POST", "/api/v1/specs", json=_second_version()).json()["hash"]
    assert first != second

    # Registered to the first version while the second is the newest.
    registered = push(api, 0.91)
    assert (registered["spec_hash"], registered["verdict"]) == (first, "pass")
    # Not registered: the newest version.
    unregistered = push(api, 0.91, target="model@2")
    assert (unregistered["spec_hash"], unregistered["verdict"]) == (second, "fail")

    # Registered again, to the newest version: pushes and runs follow.
    again = {**registration, "spec_hash": second[:12]}
    assert api.call("auditee", "POST", "/api/v1/targets", json=again).status_code == 201
    assert push(api, 0.91)["spec_hash"] == second
    run = api.call("auditee", "POST", "/api/v1/runs", json={"spec": "quality", "target": "model@1"})
    assert run.status_code == 201, run.text
    assert run.json()["spec_hash"] == second
    # Registered to an older version than the newest: runs follow too.
    older = {**registration, "target": "model@3", "spec_hash": first}
    assert api.call("auditee", "POST", "/api/v1/targets", json=older).status_code == 201
    run = api.call("auditee", "POST", "/api/v1/runs", json={"spec": "quality", "target": "model@3"})
    assert run.json()["spec_hash"] == first


def test_a_push_of_an_unknown_spec_is_refused_and_stores_nothing(api: Api) -> None:
    before = ledger_count(api)
    answer = api.call(
        "auditee",
        "POST",
        "/api/v1/evidence",
        json={"spec": "nothing", "target": "model@1", "values": [{"measurement": "a", "value": 1}]},
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "unknown_spec"
    assert "nothing" in answer.json()["error"]["message"]
    assert ledger_count(api) == before


def test_a_push_looks_up_the_ledger_index_once_before_it_is_stored(api: Api) -> None:
    """Registration, spec version, last run and status, attestations and waivers: one lookup
    before the run is stored."""
    assert api.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC).status_code == 201
    registration = {"spec": "quality", "target": "model@1", "mode": "third-party"}
    assert api.call("auditee", "POST", "/api/v1/targets", json=registration).status_code == 201
    push(api, 0.91)  # the spec and registration entries are read once per process
    engine = api.client.app.state.store.database.engine  # type: ignore[attr-defined]
    lookups: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ledger_latest" in statement:
            lookups.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert push(api, 0.5)["verdict"] == "fail"
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # The other lookup is the check, as the run is stored, that no run came in between. On
    # PostgreSQL neither goes through SQLAlchemy: the lookup is a driver read
    # (tests/store/test_driver_reads.py), the check goes out with the head lock's query in
    # psycopg's pipeline (tests/store/test_deferred_appends.py).
    assert len(lookups) == (0 if api.url.startswith("postgresql") else 2), lookups


def test_a_push_holds_one_connection_at_a_time_even_with_nothing_cached(api: Api) -> None:
    """Entries not yet kept in memory (the registration, on the first push) are read through
    the connection the push reads with: a request never waits for a second connection from
    the pool while holding one."""
    assert api.call("auditee", "POST", "/api/v1/specs", json=PUSH_SPEC).status_code == 201
    registration = {"spec": "quality", "target": "model@1", "mode": "third-party"}
    assert api.call("auditee", "POST", "/api/v1/targets", json=registration).status_code == 201
    # A newer version: the registration's is then looked up by its hash too.
    assert api.call("auditee", "POST", "/api/v1/specs", json=_second_version()).status_code == 201
    store = api.client.app.state.store  # type: ignore[attr-defined]
    store.ledger._committed.clear()  # as in a process that has read no entry yet
    pool = store.database.engine.pool
    out: set[int] = set()
    most = [0]

    def checked_out(_dbapi: Any, record: Any, _proxy: Any) -> None:
        out.add(id(record))
        most[0] = max(most[0], len(out))

    def checked_in(_dbapi: Any, record: Any) -> None:
        out.discard(id(record))

    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", checked_in)
    try:
        assert push(api, 0.91)["verdict"] == "pass"
    finally:
        event.remove(pool, "checkout", checked_out)
        event.remove(pool, "checkin", checked_in)
    assert most[0] == 1


def _entry_reads(engine: Any) -> tuple[list[str], Any]:
    """A list that collects each statement reading ``ledger_entries``, and its listener."""
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith("SELECT") and "LEDGER_ENTRIES" in text:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    return reads, seen


def test_a_push_reads_no_entry_this_process_just_committed(api: Api) -> None:
    """The run and status a push follows are those the same process stored last: kept in
    memory once committed, so the next push of the target reads no entry back, and still
    names them as its predecessors (the latency is confidential: the run entry is sealed)."""
    prepared(api)
    first = push(api, 0.5)
    assert first["status"] == "non-conformant"
    engine = api.client.app.state.store.database.engine  # type: ignore[attr-defined]
    reads, seen = _entry_reads(engine)
    try:
        second = push(api, 0.91, latency=40)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert reads == []
    assert (second["previous_status"], second["status"]) == ("non-conformant", "conformant")
    runs = api.call("internal", "GET", "/api/v1/runs?target=model@1").json()
    assert [run["run_id"] for run in runs] == [first["run_id"], second["run_id"]]
    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        (earlier, latest) = AuditLog(store.ledger).runs("quality", "model@1")
        span = range(second["ledger"]["first"], second["ledger"]["last"] + 1)
        with store.database.reading() as conn:
            stored = [e for e in store.ledger.entries_at(conn, span) if e.kind in (RUN, STATUS)]
    finally:
        store.close()
    assert latest.previous is not None
    assert (latest.previous.run_id, latest.previous.verdict) == (first["run_id"], "fail")
    assert latest.previous == earlier.brief()  # read in brief: as the whole run would give it
    assert latest.previous.dimensions == {d.id: d.outcome for d in earlier.dimensions}
    # What the process keeps is what the database holds, seals and disclosures included.
    serving = api.client.app.state.store  # type: ignore[attr-defined]
    reads, seen = _entry_reads(engine)
    try:
        kept = serving.ledger.committed_entries([entry.seq for entry in stored])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert (reads, [entry.kind for entry in stored]) == ([], [RUN, STATUS])
    assert stored[0].disclosed, "the run entry seals the confidential latency"
    assert kept == stored


def test_a_run_another_process_stored_is_read_not_taken_from_memory(api: Api) -> None:
    """What one process keeps in memory never hides a newer run stored by another (a second
    worker, the CLI): the ledger's index names the newest, and it is read."""
    prepared(api)
    first = push(api, 0.91)
    other = open_store(DatabaseChoice(api.url, "test"))
    try:
        loaded, prior = audited_version(other, "quality", "model@1", Path.cwd())
        values = [PushedEvidence("accuracy", 0.4), PushedEvidence("latency", 40)]
        between = evidence.push(other, loaded, "model@1", values, by="cli", prior=prior)
    finally:
        other.close()
    assert between.status.value == "non-conformant"
    third = push(api, 0.92)
    assert (third["previous_status"], third["status"]) == ("non-conformant", "conformant")
    runs = api.call("internal", "GET", "/api/v1/runs?target=model@1").json()
    assert [run["run_id"] for run in runs] == [
        first["run_id"],
        between.model.run_id,
        third["run_id"],
    ]
    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        latest = AuditLog(store.ledger).runs("quality", "model@1")[-1]
    finally:
        store.close()
    assert latest.previous is not None
    assert latest.previous.run_id == between.model.run_id

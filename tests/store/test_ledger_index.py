"""The index of the newest entry per key (last run and status of a spec on a target, stored
specifications) against a full scan of the ledger: after interleaved appends, after a
rolled-back transaction, and for a ledger written before the index existed (migration 0009
builds it)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from assay.services.registrations import REGISTRATION, find_registration
from assay.store import Store, ledger_index, open_store
from assay.store.audit_log import ATTESTATION, RUN, SPEC, STATUS, WAIVER, AuditLog
from assay.store.config import DatabaseChoice
from assay.store.ledger_index import INDEXED_KINDS
from tests.helpers.legacy import first_schema_ledger

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
SPECS, TARGETS = ("credit", "churn"), ("model@1", "model@2", "other model@1")


def _items(rng: random.Random, count: int) -> list[tuple[str, dict[str, Any]]]:
    items: list[tuple[str, dict[str, Any]]] = []
    for n in range(count):
        spec, target = rng.choice(SPECS), rng.choice(TARGETS)
        choice = rng.random()
        if choice < 0.5:
            items.append((RUN, _run(f"r{n}", spec, target)))
        elif choice < 0.75:
            items.append((STATUS, {"spec": spec, "target": target, "status": f"s{n}"}))
        elif choice < 0.8:
            digest = f"{rng.randrange(4)}" * 64
            items.append((SPEC, {"hash": digest, "id": spec, "document": {"n": n}}))
        elif choice < 0.9:
            registration = {
                "spec": spec,
                "spec_hash": "0" * 64,
                "target": target,
                "mode": "self-assessment",
                "at": f"2026-12-03T00:00:{n % 60:02d}+00:00",
            }
            items.append((REGISTRATION, registration))
        else:
            items.append(("audit.measurement", {"spec": spec, "target": target, "n": n}))
    return items


def _run(run_id: str, spec: str, target: str) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "spec": {"id": spec, "name": spec, "version": None, "hash": "0" * 64, "comment": None},
        "target": target,
        "verdict": "pass",
        "confidential": False,
        "started": "2026-12-03T00:00:00+00:00",
        "finished": "2026-12-03T00:00:01+00:00",
        "evidence_lifetime_seconds": None,
        "dimensions": [],
    }


def _scanned(store: Store) -> dict[str, Any]:
    """What the index must answer, from every entry in order."""
    runs: dict[tuple[str, str], str] = {}
    statuses: dict[tuple[str, str], str] = {}
    registered: dict[tuple[str, str], int] = {}
    specs: set[str] = set()
    newest: dict[str, int] = {}
    for entry in store.ledger.entries():
        payload = entry.content or {}
        if entry.kind == RUN:
            runs[(payload["spec"]["id"], payload["target"])] = payload["run_id"]
        elif entry.kind == STATUS:
            statuses[(payload["spec"], payload["target"])] = payload["status"]
        elif entry.kind == REGISTRATION:
            registered[(payload["spec"], payload["target"])] = entry.seq
        elif entry.kind == SPEC:
            specs.add(payload["hash"])
            newest[payload["id"]] = entry.seq
    return {
        "runs": runs,
        "statuses": statuses,
        "specs": specs,
        "registered": registered,
        "newest": newest,
    }


def _indexed(store: Store) -> dict[str, Any]:
    log = AuditLog(store.ledger)
    runs = {}
    for spec in SPECS:
        for target in TARGETS:
            last = log.last_run(spec, target)
            if last is not None:
                runs[(spec, target)] = last.run_id
    registered = {}
    for spec in SPECS:
        for target in TARGETS:
            registration = find_registration(store, spec, target)
            if registration is not None:
                assert (registration.spec, registration.target) == (spec, target)
                registered[(spec, target)] = registration.seq
    with store.database.reading() as conn:
        specs = {f"{n}" * 64 for n in range(4) if log.spec_stored(f"{n}" * 64, conn)}
        newest = {
            spec: seq
            for spec in SPECS
            if (seq := ledger_index.latest_seq(conn, SPEC, ledger_index.spec_id_key(spec)))
        }
    statuses = {key: value["status"] for key, value in log.statuses().items()}
    with store.database.reading() as conn:
        for (spec, target), status in statuses.items():
            one = log.predecessors(spec, target, conn).status
            assert one is not None
            assert one["status"] == status
        assert log.predecessors("no such spec", "model@1", conn).status is None
    return {
        "runs": runs,
        "statuses": statuses,
        "specs": specs,
        "registered": registered,
        "newest": newest,
    }


def test_the_index_answers_as_a_scan_of_the_ledger(store: Store) -> None:
    assert set(INDEXED_KINDS) == {RUN, STATUS, SPEC, REGISTRATION, ATTESTATION, WAIVER}
    rng = random.Random(3)
    for size in (1, 7, 30, 2, 60):
        store.ledger.append_many(_items(rng, size))
        assert _indexed(store) == _scanned(store)
    before = _indexed(store)

    def append_then_fail() -> None:
        with store.database.writing() as conn:
            store.ledger.append_in(conn, _items(rng, 20))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        append_then_fail()
    assert _indexed(store) == before == _scanned(store)
    assert len(before["runs"]) == len(SPECS) * len(TARGETS)


def test_a_ledger_from_before_the_index_gets_it_on_upgrade(database_url: str) -> None:
    first_schema_ledger(database_url, _items(random.Random(5), 80))
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        assert store.schema.current == "0010"
        expected = _scanned(store)
        assert expected["runs"]
        assert expected["statuses"]
        assert _indexed(store) == expected
        store.ledger.append_many(_items(random.Random(6), 25))
        assert _indexed(store) == _scanned(store)
        assert store.ledger.verify().ok
    finally:
        store.close()


def test_predecessors_read_before_the_lock_are_confirmed_inside_it(store: Store) -> None:
    log = AuditLog(store.ledger)
    store.ledger.append_many([(RUN, _run("r1", "credit", "model@1"))])
    with store.database.reading() as conn:
        before = log.predecessors("credit", "model@1", conn)
        assert before.run is not None
        assert before.run.run_id == "r1"
        assert before.status is None
        assert log.predecessors_unchanged(before, conn)
    store.ledger.append_many([(RUN, _run("r2", "credit", "model@2"))])
    with store.database.reading() as conn:
        assert log.predecessors_unchanged(before, conn), "another target's run changes nothing"
    store.ledger.append_many([(STATUS, {"spec": "credit", "target": "model@1", "status": "x"})])
    with store.database.reading() as conn:
        assert not log.predecessors_unchanged(before, conn)
        after = log.predecessors("credit", "model@1", conn)
    assert after.status is not None
    assert after.status["status"] == "x"
    store.ledger.append_many([(RUN, _run("r3", "credit", "model@1"))])
    with store.database.reading() as conn:
        assert not log.predecessors_unchanged(after, conn)

"""What the command line and the Audit API list, computed once for both: certificates with
their state and events, a specification's run history, and a specification's coverage of the
testing methodology, and the ledger entries holding a run's evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from assay.audit.run_model import RunModel
from assay.files.spec import LoadedSpec
from assay.services.audit_actions import certificate_state
from assay.store import Store
from assay.store.audit_log import AuditLog

__all__ = [
    "CertificateRow",
    "certificate_rows",
    "coverage_of",
    "ethics_coverage_of",
    "evidence_digests",
    "run_history",
    "spec_risks",
]

_EVENT_KEYS = ("event", "at", "reason", "by", "run_id", "seq")


@dataclass(frozen=True)
class CertificateRow:
    """A certificate as it stands now, with every event since it was issued."""

    certificate: str
    spec: str
    target: str
    state: str
    issued: str
    issued_by: str | None
    valid_until: str
    run_id: str
    events: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """As JSON (``assay audit certificates -f json`` and ``GET /api/v1/certificates``)."""
        return {
            "certificate": self.certificate,
            "spec": self.spec,
            "target": self.target,
            "state": self.state,
            "issued": self.issued,
            "issued_by": self.issued_by,
            "valid_until": self.valid_until,
            "run_id": self.run_id,
            "events": self.events,
        }


def certificate_rows(store: Store, now: datetime) -> list[CertificateRow]:
    """Every certificate, in the order issued: its state at ``now`` (active, suspended,
    revoked, expired), when and by whom it was issued, until when, on which run, and its
    events (issued, suspended, revoked) with their reasons and ledger positions."""
    return [
        CertificateRow(
            certificate,
            state["spec"],
            state["target"],
            certificate_state(state, now),
            state["at"],
            state.get("issued_by"),
            state["valid_until"],
            state["run_id"],
            [
                {key: event.get(key) for key in _EVENT_KEYS if key in event}
                for event in state["events"]
            ],
        )
        for certificate, state in AuditLog(store.ledger).certificates().items()
    ]


def run_history(store: Store, spec_id: str, target: str | None = None) -> list[dict[str, Any]]:
    """The runs of ``spec_id`` (on ``target``, or every target), oldest first: when, on what,
    the verdict, how many elements ended in each outcome, the run and spec version."""
    rows = []
    for run in AuditLog(store.ledger).runs(spec_id, target):
        counts: dict[str, int] = {}
        for element in run.elements():
            if element.is_leaf:
                counts[element.outcome] = counts.get(element.outcome, 0) + 1
        rows.append(
            {
                "run_id": run.run_id,
                "target": run.target,
                "finished": run.finished,
                "verdict": run.verdict,
                "spec_hash": run.spec.hash,
                "outcomes": counts,
                "seq": run.seq,
            }
        )
    return rows


def evidence_digests(
    store: Store, run: RunModel, conn: Connection | None = None
) -> list[dict[str, Any]]:
    """The ledger entries a run was stored in, in order: position, kind, the element a
    measurement or attestation is about, and the entry's hash (what an auditor checks with
    ``assay ledger verify``). Read through ``conn`` inside a transaction that is writing them."""
    if run.ledger is None and run.seq is None:
        return []
    if conn is None:
        with store.database.snapshot() as snapshot:
            return evidence_digests(store, run, snapshot)
    if run.ledger is not None:
        first, last = run.ledger.first, run.ledger.last
    else:
        assert run.seq is not None
        first, last = _first_of_run(store, conn, run.run_id, run.seq), run.seq
    rows = []
    for entry in store.ledger.entries_in(conn, since=first, limit=last - first + 1):
        payload = entry.payload or {}
        element = payload.get("element")
        rows.append(
            {
                "seq": entry.seq,
                "kind": entry.kind,
                "element": element if isinstance(element, str) else None,
                "hash": entry.hash,
            }
        )
    return rows


_BACKWARD_WINDOW = 1000


def _first_of_run(store: Store, conn: Connection, run_id: str, seq: int) -> int:
    """The first entry of the batch a stored run was appended in: its measurements precede
    the run entry ``seq`` and carry its ``run_id``."""
    first = seq
    while first > 1:
        since = max(1, first - _BACKWARD_WINDOW)
        window = list(store.ledger.entries_in(conn, since=since, limit=first - since))
        for entry in reversed(window):
            if (entry.payload or {}).get("run_id") != run_id:
                return first
            first = entry.seq
    return first


def spec_risks(loaded: LoadedSpec) -> dict[str, dict[str, str]]:
    """The risks a specification names, by id: description and severity (for the executive
    report's open risks)."""
    return {
        risk.id: {"description": risk.description, "severity": risk.severity}
        for risk in loaded.spec.risks
    }


def coverage_of(loaded: LoadedSpec) -> dict[str, Any]:
    """Which test items of the IML4E testing methodology (phases of 001 §5.3) the spec covers
    with automated measurements: per phase, each item with the measurements covering it."""
    from assay.audit.coverage import coverage
    from assay.catalog.testing import load_methodology
    from assay.collectors import parse_interface
    from assay.probes.catalog import PROBES

    def served(interface: str | dict[str, Any]) -> tuple[str, ...]:
        collector, parameters = parse_interface(interface)
        if collector.kind == "probe":
            return PROBES[parameters.probe].test_items  # type: ignore[attr-defined]
        return ()

    methodology = load_methodology()
    rows = coverage(loaded.spec, methodology, served)
    return {
        "spec": loaded.spec.id,
        "methodology": methodology.id,
        "covered": sum(row.covered for row in rows),
        "items": len(rows),
        "phases": [
            {
                "id": phase.id,
                "name": phase.name,
                "items": [
                    {
                        "id": row.item.id,
                        "name": row.item.name,
                        "covered": row.covered,
                        "measurements": list(row.measurements),
                    }
                    for row in rows
                    if row.phase == phase.id
                ],
            }
            for phase in methodology.phases
        ],
    }


def ethics_coverage_of(loaded: LoadedSpec) -> dict[str, Any]:
    """Which categories of the AI-ethics metric typology (IML4E D4.4 §5.1) the spec's
    measurements measure: per category, the measurements (see ``catalog/scan/ethics.yaml``)."""
    from assay.audit.coverage import ethics_coverage
    from assay.catalog.scan import ethics_categories, ethics_mapping
    from assay.collectors import parse_interface

    mapping = ethics_mapping()

    def categories_of(interface: str | dict[str, Any]) -> tuple[str, ...]:
        collector, parameters = parse_interface(interface)
        if collector.kind == "probe":
            family = str(parameters.probe).split(".")[0]  # type: ignore[attr-defined]
            return tuple(mapping["probe_families"].get(family, ()))
        if collector.kind == "metrics":
            metric = str(getattr(parameters, "metric", ""))
            for prefix, found in mapping["metric_prefixes"].items():
                if metric.startswith(prefix):
                    return tuple(found)
        return tuple(mapping["collectors"].get(collector.kind, ()))

    categories = ethics_categories()
    rows = ethics_coverage(loaded.spec, tuple(c["id"] for c in categories), categories_of)
    return {
        "spec": loaded.spec.id,
        "typology": "IML4E D4.4 section 5.1",
        "covered": sum(1 for ids in rows.values() if ids),
        "categories": [
            {
                "id": category["id"],
                "name": category["name"],
                "covered": bool(rows[category["id"]]),
                "measurements": list(rows[category["id"]]),
            }
            for category in categories
        ],
    }

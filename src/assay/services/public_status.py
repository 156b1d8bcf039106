"""A target's public conformity status: what anyone may read about it without a token.

Overall state, when it was last evaluated, each specification's state with its mode of
assessment, certificates and dimension outcomes, and the timeline of status changes. Nothing
confidential is in it: no values, no targets, no comments, only outcomes and states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assay.services.audit_actions import StatusRow, current_statuses
from assay.services.registrations import registrations
from assay.store import Store
from assay.store.audit_log import STATUS, AuditLog

__all__ = ["HISTORY_LIMIT", "overall_status", "public_state", "public_status"]

# The timeline shows the most recent changes; older ones stay in the ledger.
HISTORY_LIMIT = 50


def overall_status(rows: list[StatusRow]) -> str:
    """One state for a target over its specs: non-conformant if any spec says so, else expired
    if any evidence is stale, conformant when all are, unknown otherwise; revoked when every
    certificate it holds has been revoked."""
    states = {row.status.value for row in rows}
    if "non-conformant" in states:
        overall = "non-conformant"
    elif "expired" in states:
        overall = "expired"
    elif states == {"conformant"}:
        overall = "conformant"
    else:
        overall = "unknown"
    certificates = [state for row in rows for state in row.certificates.values()]
    if certificates and all(state == "revoked" for state in certificates):
        overall = "revoked"
    return overall


def _rows_of(store: Store, target: str, now: datetime) -> list[StatusRow]:
    return [row for row in current_statuses(store, now, record=False) if row.target == target]


def public_state(store: Store, target: str, now: datetime) -> str | None:
    """The one state of ``target`` at ``now`` (what its badge shows), or None when no run is
    recorded for it: only the statuses are read."""
    rows = _rows_of(store, target, now)
    return overall_status(rows) if rows else None


def public_status(store: Store, target: str, now: datetime) -> dict[str, Any] | None:
    """The public status of ``target`` at ``now``, or None when no run is recorded for it.
    Reading records nothing."""
    rows = _rows_of(store, target, now)
    if not rows:
        return None
    log = AuditLog(store.ledger)
    modes = {(r.spec, r.target): r.mode.value for r in registrations(store)}
    certificates = {
        certificate: state
        for certificate, state in log.certificates().items()
        if state["target"] == target
    }
    specs = []
    for row in rows:
        run = log.last_run(row.spec, target)
        specs.append(
            {
                "spec": row.spec,
                "status": row.status.value,
                "reason": row.reason,
                "mode": modes.get((row.spec, target), "self-assessment"),
                "last_run": row.last_run,
                "evaluated": run.finished if run else None,
                "verdict": row.last_verdict,
                "certificates": row.certificates,
                "certificate_validity": [
                    {
                        "certificate": certificate,
                        "state": held,
                        "issued": certificates[certificate]["at"],
                        "valid_until": certificates[certificate]["valid_until"],
                    }
                    for certificate, held in row.certificates.items()
                ],
                "dimensions": [
                    {"id": d.id, "name": d.name, "outcome": d.outcome}
                    for d in (run.dimensions if run else [])
                ],
            }
        )
    history = [
        {key: payload.get(key) for key in ("at", "spec", "previous", "status", "reason")}
        for _, payload in log.payloads(STATUS, target=target)
    ]
    evaluated = [str(spec["evaluated"]) for spec in specs if spec["evaluated"]]
    return {
        "target": target,
        "status": overall_status(rows),
        "last_evaluated": max(evaluated) if evaluated else None,
        "specs": specs,
        "history": history[-HISTORY_LIMIT:][::-1],
    }

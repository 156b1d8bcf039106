"""Conformity status of a (specification, target) from its last run (001 §5.4.4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from assay.audit.run_model import RunModel
from assay.audit.spec import Requirement, Specification, walk

__all__ = ["Status", "conformity_status", "evidence_lifetime"]


class Status(StrEnum):
    """Conformant: the last run passed and its evidence is fresh. Non-conformant: it failed.
    Unknown: no run, or the last one could not evaluate everything. Expired: it passed, but
    longer ago than a requirement's frequency allows."""

    conformant = "conformant"
    non_conformant = "non-conformant"
    unknown = "unknown"
    expired = "expired"


def evidence_lifetime(spec: Specification) -> timedelta | None:
    """How long a run's evidence stays current: the shortest frequency of the blocking
    requirements (None when none sets one)."""
    periods = [
        element.every
        for _, element in walk(spec)
        if isinstance(element, Requirement) and element.severity == "blocking" and element.every
    ]
    return min(periods) if periods else None


def conformity_status(last_run: RunModel | None, now: datetime) -> tuple[Status, str]:
    """The status that the last run gives at ``now``, and why."""
    if last_run is None:
        return Status.unknown, "no run yet"
    run = f"run {last_run.run_id}"
    verdict = last_run.verdict
    if verdict == "fail":
        return Status.non_conformant, f"{run} failed"
    if verdict != "pass":
        return Status.unknown, f"{run} could not evaluate everything ({verdict})"
    lifetime = last_run.evidence_lifetime_seconds
    finished = datetime.fromisoformat(last_run.finished)
    if lifetime is not None and now - finished > timedelta(seconds=lifetime):
        return (
            Status.expired,
            f"{run} passed, but its evidence is older than {timedelta(seconds=lifetime)}",
        )
    return Status.conformant, f"{run} passed"

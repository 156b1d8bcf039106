"""The scheduler's jobs in the database: when each registered (spec, target) is next due, and
which process holds it while it runs.

Claiming is one conditional UPDATE (due, and not leased by a live holder), so of several server
processes exactly one gets a job; the run's transaction moves ``next_due`` on and clears the
lease, so a run stored is never run again and a run lost with a killed process is taken up once
its lease lapses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, and_, insert, or_, select, update

from assay.store.database import Database
from assay.store.schema import schedule_jobs

__all__ = [
    "Job",
    "LeaseLostError",
    "claim_job",
    "complete_job",
    "due_jobs",
    "list_jobs",
    "upsert_job",
]


@dataclass(frozen=True)
class Job:
    """A scheduled (spec, target): its period, when it is next due (Unix seconds), its lease."""

    id: str
    spec: str
    target: str
    every_seconds: float
    next_due: float
    lease_owner: str | None
    lease_until: float | None
    last_run: str | None


def _job_id(spec: str, target: str) -> str:
    return f"{spec}\x1f{target}"


def upsert_job(conn: Connection, spec: str, target: str, every: float, due: float) -> None:
    """Create the job of (spec, target), or change its period; a new job is due at ``due``,
    an existing one keeps its next time unless the new period brings it closer."""
    job_id = _job_id(spec, target)
    row = conn.execute(select(schedule_jobs).where(schedule_jobs.c.id == job_id)).first()
    if row is None:
        conn.execute(
            insert(schedule_jobs).values(
                id=job_id, spec=spec, target=target, every_seconds=every, next_due=due
            )
        )
        return
    next_due = min(row.next_due, due + every)
    conn.execute(
        update(schedule_jobs)
        .where(schedule_jobs.c.id == job_id)
        .values(every_seconds=every, next_due=next_due)
    )


def _job(row: object) -> Job:
    mapping = row._mapping  # type: ignore[attr-defined]
    return Job(**{column: mapping[column] for column in Job.__dataclass_fields__})


def list_jobs(database: Database) -> list[Job]:
    """Every job, by spec and target."""
    with database.reading() as conn:
        rows = conn.execute(
            select(schedule_jobs).order_by(schedule_jobs.c.spec, schedule_jobs.c.target)
        )
        return [_job(row) for row in rows]


def due_jobs(database: Database, now: float) -> list[Job]:
    """Jobs due at ``now`` that no live lease holds, most overdue first."""
    with database.reading() as conn:
        rows = conn.execute(
            select(schedule_jobs)
            .where(
                schedule_jobs.c.next_due <= now,
                or_(schedule_jobs.c.lease_until.is_(None), schedule_jobs.c.lease_until < now),
            )
            .order_by(schedule_jobs.c.next_due)
        )
        return [_job(row) for row in rows]


def claim_job(database: Database, job: Job, owner: str, now: float, lease: float) -> bool:
    """Take ``job`` for ``owner`` until ``now + lease``, if it is still due at the time it was
    read and no live lease holds it; True when this caller has it."""
    with database.writing() as conn:
        claimed = conn.execute(
            update(schedule_jobs)
            .where(
                and_(
                    schedule_jobs.c.id == job.id,
                    schedule_jobs.c.next_due == job.next_due,
                    or_(schedule_jobs.c.lease_until.is_(None), schedule_jobs.c.lease_until < now),
                )
            )
            .values(lease_owner=owner, lease_until=now + lease)
        )
        return claimed.rowcount == 1


class LeaseLostError(Exception):
    """The job's lease lapsed and another process holds it: this run must not be stored."""


def complete_job(
    conn: Connection, job: Job, owner: str, finished: float, run_id: str | None
) -> None:
    """Inside the run's transaction: move the job to its next time after ``finished`` (one
    catch-up run after downtime, never a burst) and release the lease. Raises
    :class:`LeaseLostError`, rolling the run back, when ``owner`` no longer holds the job."""
    periods = max(1, math.floor((finished - job.next_due) / job.every_seconds) + 1)
    moved = conn.execute(
        update(schedule_jobs)
        .where(
            schedule_jobs.c.id == job.id,
            schedule_jobs.c.lease_owner == owner,
            schedule_jobs.c.next_due == job.next_due,
        )
        .values(
            next_due=job.next_due + periods * job.every_seconds,
            lease_owner=None,
            lease_until=None,
            last_run=run_id,
        )
    )
    if moved.rowcount != 1:
        raise LeaseLostError(job.id)

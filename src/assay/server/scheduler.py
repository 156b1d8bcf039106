"""Continuous assessment: a thread per server process that runs each registered (spec, target)
at its requirements' frequency, records status changes as evidence ages, and suspends the
certificates of targets that stop conforming.

Several processes may run it against one PostgreSQL: a due job is claimed with one conditional
UPDATE, so exactly one process runs it, and the run's transaction moves the job on (see
:mod:`assay.store.schedule`). A restart finds the schedule where it was: a job due while the
server was down runs once, then keeps its rhythm.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from assay.audit.status import Status
from assay.collectors.confinement import Confinement
from assay.errors import InvalidInputError
from assay.services import audit_actions
from assay.services.audit_runs import run_audit
from assay.services.registrations import find_registration, stored_spec
from assay.store import Store
from assay.store.schedule import (
    Job,
    LeaseLostError,
    claim_job,
    complete_job,
    due_jobs,
)

__all__ = ["Scheduler"]

log = logging.getLogger("assay.scheduler")


class Scheduler:
    """Runs due jobs of ``store`` every ``tick`` seconds in a background thread (or one pass at
    a time with :meth:`run_due`), holding a job at most ``lease`` seconds, and sweeps statuses
    every ``sweep_every`` seconds. Runs are confined as the server's ``confinement`` says."""

    def __init__(
        self,
        store: Store,
        spec_dir: Path,
        *,
        tick: float = 1.0,
        lease: float = 600.0,
        sweep_every: float = 30.0,
        clock: Callable[[], float] = time.time,
        confinement: Confinement | None = None,
    ) -> None:
        self.store, self.spec_dir, self.confinement = store, spec_dir, confinement
        self.tick, self.lease, self.clock = tick, lease, clock
        # Recomputing every status reads every run and takes the write lock: not every tick.
        self.sweep_every = sweep_every
        self._last_sweep = -math.inf
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background thread."""
        self._thread = threading.Thread(target=self._loop, name="assay-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after its current pass."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.run_due()
                if self.clock() - self._last_sweep >= self.sweep_every:
                    self._last_sweep = self.clock()
                    self.sweep_status()
            except Exception:  # the loop must outlive a bad pass; the error is logged
                log.exception("scheduler pass failed")

    def run_due(self) -> list[str]:
        """Run every job due now that this process can claim; the ids of the runs stored."""
        done = []
        for job in due_jobs(self.store.database, self.clock()):
            if self._stop.is_set():
                break
            if not claim_job(self.store.database, job, self.owner, self.clock(), self.lease):
                continue
            run_id = self._run(job)
            if run_id is not None:
                done.append(run_id)
        return done

    def _run(self, job: Job) -> str | None:
        registration = find_registration(self.store, job.spec, job.target)
        spec_hash = registration.spec_hash if registration else None
        loaded = stored_spec(self.store, job.spec, spec_hash, self.spec_dir)
        due = datetime.fromtimestamp(job.next_due, UTC).isoformat(timespec="seconds")
        try:
            record = run_audit(
                self.store,
                loaded,
                job.target,
                trigger={"kind": "schedule", "due": due, "by": self.owner},
                confinement=self.confinement,
                in_transaction=lambda conn, record: complete_job(
                    conn, job, self.owner, self.clock(), record.model.run_id
                ),
            )
        except LeaseLostError:
            log.warning("job %s was taken over by another process; this run is dropped", job.id)
            return None
        return str(record.model.run_id)

    def sweep_status(self) -> None:
        """Record status changes (evidence expired) and suspend the active certificates of
        targets that no longer conform."""
        now = datetime.now(UTC)
        for row in audit_actions.current_statuses(self.store, now, record=True):
            if row.status in (Status.conformant, Status.unknown):
                continue
            for certificate, state in row.certificates.items():
                if state != "active":
                    continue
                try:
                    audit_actions.suspend(
                        self.store,
                        certificate,
                        reason=f"{row.target} is {row.status.value}: {row.reason}",
                        by="assay scheduler",
                        now=now,
                    )
                except InvalidInputError:  # another process suspended it first
                    continue

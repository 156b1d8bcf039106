"""Running an audit: collect the evidence, evaluate the specification, and store it all in the
evidence ledger in one transaction (with the status change and any certificate suspension)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from assay.audit.evaluation import Evidence, Outcome, Result, evaluate
from assay.audit.run_model import LedgerRange, RunModel
from assay.audit.spec import Measurement, Metric, Requirement, Specification, walk
from assay.audit.status import Status, conformity_status, evidence_lifetime
from assay.collectors import CollectContext, CollectionError
from assay.collectors.confinement import Confinement
from assay.collectors.runner import Fetched, collect_all
from assay.collectors.values import select
from assay.files.spec import LoadedSpec
from assay.integrations.assay_outcomes import outcome_events
from assay.names import check_target
from assay.reports.audit_json import jsonable, result_json
from assay.services.events import checked_events, ingest_in, ingest_later
from assay.store import Store
from assay.store.audit_log import (
    CERTIFICATE,
    MEASUREMENT,
    REPORT,
    RUN,
    STATUS,
    AuditLog,
    BeforeRun,
    active_certificates,
    measurement_record,
    run_record,
    spec_record,
    status_change,
)
from assay.store.chain import LedgerEntry
from assay.store.group_commit import AfterCommit
from assay.store.ledger import Item, Record

__all__ = [
    "PushedValue",
    "RunRecord",
    "record_reports",
    "report_records",
    "run_audit",
    "target_of",
]


@dataclass(frozen=True)
class RunRecord:
    """A completed run: its model (what ``assay audit run`` reports and the ledger keeps), its
    result tree, where its entries are in the ledger, and what it changed."""

    model: RunModel
    result: Result
    first_seq: int
    last_seq: int
    status: Status
    previous_status: str | None
    suspended: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> Outcome:
        """The specification's outcome."""
        return self.result.outcome


def target_of(loaded: LoadedSpec, override: str | None) -> str:
    """The target a run evaluates: ``--target``, else the spec's ``target``, else its id."""
    return override or loaded.spec.target or loaded.spec.id


def _interfaces(spec: Specification) -> dict[str, str | dict[str, Any]]:
    """The interface to fetch for each measurement and externally assessed element; nothing
    beneath an external element (its assessor's verdict stands)."""
    interfaces: dict[str, str | dict[str, Any]] = {}
    external_paths: list[tuple[str | int, ...]] = []
    metric_interface: str | dict[str, Any] | None = None
    for path, element in walk(spec):
        if any(path[: len(outer)] == outer for outer in external_paths):
            continue
        if element.external:
            external_paths.append(path)
            if element.assessment_interface is not None:
                interfaces[element.id] = element.assessment_interface
        elif isinstance(element, Metric):
            metric_interface = element.assessment_interface
        elif isinstance(element, Measurement):
            interface = element.assessment_interface or metric_interface
            if interface is not None:
                interfaces[element.id] = interface
    return interfaces


def _evidence(
    spec: Specification, fetched: Mapping[str, Fetched], attested: Mapping[str, Evidence]
) -> dict[str, Evidence]:
    selectors = {
        element.id: element.select
        for _, element in walk(spec)
        if isinstance(element, Measurement) and element.select
    }
    evidence = dict(attested)
    for key, found in fetched.items():
        if found.error is not None:
            evidence[key] = Evidence(error=found.error, source=found.source)
            continue
        if found.kind == "push":  # pushed values are the measurement itself: no selector
            evidence[key] = Evidence(found.value, source=found.source, collected_at=found.finished)
            continue
        try:
            value = select(found.value, selectors.get(key), found.source)
        except CollectionError as error:
            evidence[key] = Evidence(error=str(error), source=found.source)
            continue
        evidence[key] = Evidence(value, source=found.source, collected_at=found.finished)
    return evidence


@dataclass(frozen=True)
class PushedValue:
    """A measurement value pushed by an auditee, with its provenance (model version, data
    hash, commit, …) and when it was measured."""

    value: Any
    provenance: Mapping[str, Any] = field(default_factory=dict)
    measured_at: str | None = None


def run_audit(
    store: Store,
    loaded: LoadedSpec,
    target: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    workers: int = 8,
    on_fetched: Callable[[Fetched, int], None] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    pushed: Mapping[str, PushedValue] | None = None,
    trigger: Mapping[str, Any] | None = None,
    in_transaction: Callable[[Connection, RunRecord], None] | None = None,
    also_chained: Callable[[RunModel], Sequence[Item]] | None = None,
    confinement: Confinement | None = None,
    prior: BeforeRun | None = None,
) -> RunRecord:
    """Collect, evaluate and store one run of ``loaded`` on ``target`` (see :func:`target_of`).
    Collection failures become ``error`` outcomes; the run always completes.

    ``pushed`` values stand for their measurements instead of collecting them; a measurement
    with no interface keeps the value last pushed for it (stale once older than its
    requirement's frequency). ``trigger`` (what started the run) is kept in the run model, and
    ``in_transaction(conn, record)`` is called inside the transaction that stores the run, so
    that what is done there (a schedule's next time, the run's reports written and recorded)
    commits with the run or not at all: when it raises, nothing is stored.
    ``also_chained(run)`` gives entries appended after the run's own in the same append (one
    lock of the chain, one write of each table), and counted in its ledger range. A ``confinement``
    (a spec uploaded to the server) limits what the collectors may reach and which of the
    server's environment variables they see. ``prior`` is what the run reads of the ledger
    first (:meth:`AuditLog.before_run`), when the caller read it already."""
    spec = loaded.spec
    name = check_target(target_of(loaded, target), source="target")
    log = AuditLog(store.ledger)
    started = now()
    pushed = pushed or {}
    # Read before the transaction that appends (it holds the ledger's lock): inside, one index
    # lookup confirms that no other run of this spec and target came in between.
    if prior is None:
        with store.database.snapshot() as conn:
            prior = log.before_run(spec.id, name, loaded.hash, conn)
    relative = {
        element.id: element.target["baseline"]
        for _, element in walk(spec)
        if isinstance(element, Measurement) and isinstance(element.target, dict)
    }
    # One pass over the ledger per baseline target, however many measurements compare with it.
    values = {name: log.baseline_values(spec.id, name) for name in set(relative.values())}
    baselines = {
        measurement: values[name].get(measurement) for measurement, name in relative.items()
    }
    interfaces = {k: v for k, v in _interfaces(spec).items() if k not in pushed}
    fetched: dict[str, Fetched] = {}
    if interfaces:  # a push of every value collects nothing: no environment to copy
        available = dict(os.environ if environ is None else environ)
        if confinement is not None:
            available = confinement.environment(available)
        context = CollectContext(
            loaded.base_dir, available, target=name, confinement=confinement, store=store
        )
        fetched = collect_all(interfaces, context, workers=workers, on_fetched=on_fetched)
    fetched |= _pushed_fetches(pushed, started)
    attested = log.attestations(spec.id, name, any_known=prior.attested)
    if not pushed.keys() >= _push_only(spec, interfaces, attested):
        attested = _carried_pushes(spec, log, name, interfaces, pushed) | attested
    evidence = _evidence(spec, fetched, attested)
    finished = now()
    result = evaluate(
        spec,
        evidence,
        now=finished,
        waivers=log.waivers(spec.id, name, any_known=prior.waived),
        baselines=baselines,
        target=name,
    )
    comments = {element.id: element.comment for _, element in walk(spec)}
    lifetime = evidence_lifetime(spec)
    model: dict[str, Any] = {
        "run_id": uuid.uuid4().hex[:16],
        "spec": {
            "id": spec.id,
            "name": spec.name,
            "version": spec.version,
            "hash": loaded.hash,
            "comment": spec.comment,
        },
        "target": name,
        "verdict": result.outcome.value,
        "confidential": spec.confidential,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "evidence_lifetime_seconds": lifetime.total_seconds() if lifetime else None,
        "dimensions": result_json(result, comments)["dimensions"],
    }
    if trigger:
        model["trigger"] = dict(trigger)

    before, spec_known = prior.predecessors, prior.spec_stored

    def store_run(conn: Connection) -> RunRecord | AfterCommit[RunRecord]:
        """Everything the run stores, in one transaction (shared with concurrent runs)."""
        known = before
        if not log.predecessors_unchanged(known, conn):
            known = log.predecessors(spec.id, name, conn)
        model.pop("previous", None)
        if known.run is not None:
            model["previous"] = known.run.model_dump()
        run = RunModel.from_payload(model)
        items: list[Item] = []
        if not spec_known and not log.spec_stored(loaded.hash, conn):
            items.append(spec_record(loaded.hash, spec.id, loaded.data))
        items += _measurement_items(run, fetched, evidence, loaded.hidden)
        items.append(run_record(run))
        status, reason = conformity_status(run, finished)
        recorded = known.status
        previous_status = recorded["status"] if recorded else None
        if previous_status != status.value:
            items.append(
                status_change(
                    spec.id,
                    name,
                    status.value,
                    previous_status,
                    reason,
                    run.run_id,
                    finished.isoformat(),
                )
            )
        suspended = []
        if result.outcome is Outcome.failed:
            suspended = active_certificates(log.certificates(conn), spec.id, name)
            items += [
                (
                    CERTIFICATE,
                    {
                        "event": "suspended",
                        "certificate": certificate,
                        "spec": spec.id,
                        "target": name,
                        "reason": f"run {run.run_id} failed",
                        "run_id": run.run_id,
                        "at": finished.isoformat(),
                    },
                )
                for certificate in suspended
            ]
        if also_chained is not None:
            items += also_chained(run)

        def record_of(entries: list[LedgerEntry]) -> RunRecord:
            run.ledger = LedgerRange(first=entries[0].seq, last=entries[-1].seq)
            return RunRecord(
                run, result, entries[0].seq, entries[-1].seq, status, previous_status, suspended
            )

        # The run is also a life-cycle event for the ML metrics (an audit of a model version,
        # drift alerts), stored with it or not at all.
        outcomes = checked_events(
            outcome_events(run, interfaces), now=finished, where=lambda _: f"run {run.run_id}"
        )
        if in_transaction is None:
            # Numbered when the batch is written: the ledger's head lock is then held only
            # for the writing, not while the batch's other runs are made.
            later = store.ledger.append_later(conn, items)
            ingest_later(store, conn, outcomes)
            return AfterCommit(lambda: record_of(_remembered(store, later.entries)))
        record = record_of(store.ledger.append_in(conn, items))
        ingest_in(store, conn, outcomes)
        in_transaction(conn, record)
        return record

    return store.together.run(store_run)


def _remembered(store: Store, entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """``entries``, just committed; the run and status among them are kept in memory for the
    next run of the same spec and target, which reads them first."""
    store.ledger.remember_committed(entry for entry in entries if entry.kind in (RUN, STATUS))
    return entries


def _pushed_fetches(pushed: Mapping[str, PushedValue], received: datetime) -> dict[str, Fetched]:
    at = received.isoformat(timespec="milliseconds")
    return {
        element: Fetched(
            "push",
            "pushed",
            value.value,
            started=value.measured_at or at,
            finished=value.measured_at or at,
            metadata=dict(value.provenance) or None,
        )
        for element, value in pushed.items()
    }


def _push_only(
    spec: Specification, interfaces: Mapping[str, Any], attested: Mapping[str, Evidence]
) -> set[str]:
    """Measurements that nothing collects or attests: their values can only be pushed."""
    return {
        element.id
        for _, element in walk(spec)
        if isinstance(element, Measurement)
        and element.id not in interfaces
        and element.id not in attested
    }


def _carried_pushes(
    spec: Specification,
    log: AuditLog,
    target: str,
    interfaces: Mapping[str, Any],
    pushed: Mapping[str, PushedValue],
) -> dict[str, Evidence]:
    """The values last pushed for measurements that are neither collected nor pushed now,
    from the previous run, each expiring after its requirement's frequency."""
    previous = log.last_run(spec.id, target)
    if previous is None:
        return {}
    lifetimes: dict[str, timedelta | None] = {}
    for _, requirement in walk(spec):
        if isinstance(requirement, Requirement):
            for metric in requirement.metrics:
                for measurement in metric.measurements:
                    lifetimes[measurement.id] = requirement.every
    carried: dict[str, Evidence] = {}
    for node in previous.measurements():
        element = node.id
        if element in interfaces or element in pushed:
            continue
        if node.source != "pushed" or not node.collected_at:
            continue
        lifetime = lifetimes.get(element)
        measured = datetime.fromisoformat(node.collected_at)
        carried[element] = Evidence(
            node.value,
            source="pushed",
            collected_at=node.collected_at,
            expires=measured + lifetime if lifetime else None,
        )
    return carried


def _measurement_items(
    run: RunModel,
    fetched: Mapping[str, Fetched],
    evidence: Mapping[str, Evidence],
    hidden: Set[str],
) -> list[Item]:
    """One ``audit.measurement`` item per collected element, with the value its selector
    picked (not the whole fetched document); the values of ``hidden`` elements sealed."""
    return [
        measurement_record(
            MEASUREMENT,
            {
                "run_id": run.run_id,
                "spec": run.spec.id,
                "target": run.target,
                "element": key,
                "value": jsonable(evidence[key].value),
                "error": evidence[key].error,
                "source": found.source,
                "started": found.started,
                "finished": found.finished,
                **({"metadata": jsonable(dict(found.metadata))} if found.metadata else {}),
            },
            hidden,
        )
        for key, found in fetched.items()
    ]


def record_reports(
    store: Store,
    run: RunModel,
    audience: str,
    reports: list[tuple[str, str, Path | None]],
) -> None:
    """Append an ``audit.report`` entry for each rendered report (see
    :func:`report_records`)."""
    store.ledger.append_many(report_records(run, audience, reports))


def report_records(
    run: RunModel, audience: str, reports: list[tuple[str, str, Path | None]]
) -> list[Item]:
    """An ``audit.report`` record for each rendered report: its format, audience, the SHA-256
    of its text and the file it was written to (if any)."""
    return [
        Record(
            REPORT,
            {
                "run_id": run.run_id,
                "spec": run.spec.id,
                "target": run.target,
                "format": fmt,
                "audience": audience,
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "path": str(path) if path is not None else None,
            },
        )
        for fmt, text, path in reports
    ]

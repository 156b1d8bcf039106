"""The audit engine's records in the evidence ledger, and what is read back from them.

Everything the audit engine stores is a ledger entry, so it is tamper-evident and ordered:

- ``audit.spec``: a specification's content, once per content hash;
- ``audit.measurement``: a value (or the reason there is none) collected in a run;
- ``audit.run``: a run's outcomes and verdict;
- ``audit.report``: the digest of a report rendered from a run;
- ``audit.status``: a change of a (spec, target)'s conformity status;
- ``audit.attestation`` / ``audit.waiver``: a person's verdict or accepted failure;
- ``audit.certificate``: a certificate issued, suspended or revoked;
- ``audit.registration``: a target registered against a spec on the server (with its mode);
- ``audit.measurement_batch``: pushed values superseded by later ones in the same batch;
- ``audit.event``: an event the server received, with the runs it started.

Current state (attestations in force, status, certificates) is derived from these entries.
The confidential values of specs, measurements, runs and attestations are sealed in the chain
(:mod:`assay.audit.confidentiality` says which); the records built here name them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from assay.audit.confidentiality import (
    ATTESTATION_SECRET_KEYS,
    hidden_run_paths,
    hidden_spec_paths,
    measurement_paths,
)
from assay.audit.evaluation import Evidence, Waiver
from assay.audit.run_model import PreviousRun, RunModel
from assay.store import ledger_index
from assay.store.chain import LedgerEntry
from assay.store.ledger import Ledger, Record

__all__ = [
    "ATTESTATION",
    "CERTIFICATE",
    "MEASUREMENT",
    "MEASUREMENT_BATCH",
    "REPORT",
    "RUN",
    "SPEC",
    "STATUS",
    "WAIVER",
    "AuditLog",
    "BeforeRun",
    "active_certificates",
    "attestation_record",
    "batch_record",
    "measurement_record",
    "run_record",
    "spec_record",
    "status_change",
]

SPEC = "audit.spec"
MEASUREMENT = "audit.measurement"
MEASUREMENT_BATCH = "audit.measurement_batch"
RUN = "audit.run"
REPORT = "audit.report"
STATUS = "audit.status"
ATTESTATION = "audit.attestation"
WAIVER = "audit.waiver"
CERTIFICATE = "audit.certificate"


@dataclass(frozen=True)
class Predecessors:
    """What an audit run of a (spec, target) follows: its last run in brief and last recorded
    status (``seqs``: their entries' numbers, None where there is none)."""

    key: str
    seqs: tuple[int | None, int | None]
    run: PreviousRun | None
    status: dict[str, Any] | None


@dataclass(frozen=True)
class BeforeRun:
    """What a run of a (spec, target) reads before it is stored: its predecessors, whether its
    spec version is stored already, whether any attestation or waiver names the spec, and the
    seq of each other (kind, key) the caller looked up in the same query (``also``, those
    found)."""

    predecessors: Predecessors
    spec_stored: bool
    attested: bool
    waived: bool
    also: Mapping[tuple[str, str], int] = field(default_factory=dict)


class AuditLog:
    """Reads the audit engine's entries from a ledger (or through a caller's connection)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def _entries(self, kind: str, conn: Connection | None = None) -> Iterator[LedgerEntry]:
        if conn is not None:
            return self.ledger.entries_in(conn, kind=kind)
        return self.ledger.entries(kind=kind)

    def payloads(
        self, kind: str, conn: Connection | None = None, **match: Any
    ) -> list[tuple[LedgerEntry, dict[str, Any]]]:
        """Entries of ``kind`` whose payload has every ``key=value`` of ``match``, in order."""
        found = []
        for entry in self._entries(kind, conn):
            payload = entry.content
            if isinstance(payload, dict) and all(payload.get(k) == v for k, v in match.items()):
                found.append((entry, payload))
        return found

    def before_run(
        self,
        spec: str,
        target: str,
        spec_hash: str | None,
        conn: Connection | None,
        also: Iterable[tuple[str, str]] = (),
        latest: Mapping[tuple[str, str], int] | None = None,
    ) -> BeforeRun:
        """What a run of ``spec`` (version ``spec_hash``; None: a version read from the ledger,
        so stored) on ``target`` needs to know of the ledger first, in one index lookup (with
        the keys of ``also``) and one read of the last run and status. Each statement sees
        only committed entries, which never change: the reads need no snapshot. ``latest``:
        the index lookup of :meth:`before_run_keys` when the caller made it already (then
        ``conn`` may be None, and entries not kept in memory are read through a connection of
        their own)."""
        own, extra = self.before_run_keys(spec, target, spec_hash), list(also)
        if latest is None:
            if conn is None:
                raise ValueError("before_run reads the index through a connection")
            latest = ledger_index.latest_of(conn, own + extra)
        about = ledger_index.spec_id_key(spec)
        return BeforeRun(
            self._predecessors(ledger_index.pair_key(spec, target), latest, conn, committed=True),
            spec_hash is None or (SPEC, spec_hash) in latest,
            (ATTESTATION, about) in latest,
            (WAIVER, about) in latest,
            {key: latest[key] for key in extra if key in latest},
        )

    @staticmethod
    def before_run_keys(spec: str, target: str, spec_hash: str | None) -> list[tuple[str, str]]:
        """The (kind, key)s of the ledger index that :meth:`before_run` looks up (besides
        those of ``also``)."""
        pair, about = ledger_index.pair_key(spec, target), ledger_index.spec_id_key(spec)
        own = [(RUN, pair), (STATUS, pair), (ATTESTATION, about), (WAIVER, about)]
        if spec_hash is not None:
            own.append((SPEC, spec_hash))
        return own

    def spec_stored(self, spec_hash: str, conn: Connection) -> bool:
        """A specification with this content hash is in the ledger already."""
        return ledger_index.latest_seq(conn, SPEC, spec_hash) is not None

    def attestations(self, spec: str, target: str, *, any_known: bool) -> dict[str, Evidence]:
        """The latest attestation of each element of ``spec`` for ``target`` (or for every
        target), as evidence with its expiry. ``any_known``: whether the index names any
        attestation of ``spec`` (:meth:`before_run`); when not, nothing is read."""
        latest: dict[str, Evidence] = {}
        if not any_known:
            return latest
        for _, payload in self.payloads(ATTESTATION, spec=spec):
            if payload.get("target") not in (None, target):
                continue
            expires = payload.get("expires")
            latest[payload["element"]] = Evidence(
                value=payload["value"],
                source=", ".join(payload.get("evidence") or []) or None,
                collected_at=payload["attested_at"],
                attested_by=payload["by"],
                expires=datetime.fromisoformat(expires) if expires else None,
            )
        return latest

    def waivers(self, spec: str, target: str, *, any_known: bool) -> dict[str, Waiver]:
        """The latest waiver of each element of ``spec`` for ``target`` (or every target);
        ``any_known`` as for :meth:`attestations`."""
        latest: dict[str, Waiver] = {}
        if not any_known:
            return latest
        for _, payload in self.payloads(WAIVER, spec=spec):
            if payload.get("target") not in (None, target):
                continue
            latest[payload["element"]] = Waiver(
                payload["element"],
                payload["by"],
                payload["justification"],
                datetime.fromisoformat(payload["expires"]),
                payload["granted"],
            )
        return latest

    def runs(
        self, spec: str | None = None, target: str | None = None, conn: Connection | None = None
    ) -> list[RunModel]:
        """Runs (with their ledger ``seq``) in order, optionally of one spec/target."""
        match: dict[str, Any] = {}
        if target is not None:
            match["target"] = target
        found = []
        for entry, payload in self.payloads(RUN, conn, **match):
            of_spec = payload.get("spec")
            if spec is None or (isinstance(of_spec, dict) and of_spec.get("id") == spec):
                found.append(RunModel.from_payload(payload, entry.seq))
        return found

    def last_run(self, spec: str, target: str, conn: Connection | None = None) -> RunModel | None:
        """The newest run of ``spec`` on ``target`` (with its ``seq``), read from the end."""
        if conn is None:
            with self.ledger.database.snapshot() as snapshot:
                return self.last_run(spec, target, snapshot)
        seq = ledger_index.latest_seq(conn, RUN, ledger_index.pair_key(spec, target))
        found = self.ledger.entries_at(conn, [seq]) if seq is not None else []
        if not found or not isinstance(found[0].content, dict):
            return None
        return RunModel.from_payload(found[0].content, found[0].seq)

    def run(self, run_id: str) -> RunModel | None:
        """One run by id (a unique prefix is enough)."""
        matches = [
            (entry, payload)
            for entry, payload in self.payloads(RUN)
            if str(payload.get("run_id")).startswith(run_id)
        ]
        if len(matches) != 1:
            return None
        entry, payload = matches[0]
        return RunModel.from_payload(payload, entry.seq)

    def baseline_values(self, spec: str, baseline_target: str) -> dict[str, float]:
        """Each measurement's value in the last conformant run of ``spec`` on
        ``baseline_target``; empty when there is none."""
        conformant = [run for run in self.runs(spec, baseline_target) if run.verdict == "pass"]
        if not conformant:
            return {}
        return {
            measurement.id: float(measurement.value)
            for measurement in conformant[-1].measurements()
            if isinstance(measurement.value, int | float)
            and not isinstance(measurement.value, bool)
        }

    def statuses(self, conn: Connection | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        """The last recorded status of every (spec, target)."""
        if conn is None:
            with self.ledger.database.snapshot() as snapshot:
                return self.statuses(snapshot)
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        seqs = ledger_index.latest_seqs(conn, STATUS)
        for entry in self.ledger.entries_at(conn, seqs):
            payload = entry.content
            if isinstance(payload, dict):
                latest[(payload["spec"], payload["target"])] = {**payload, "seq": entry.seq}
        return latest

    def predecessors(self, spec: str, target: str, conn: Connection) -> Predecessors:
        """The last run and the last status of ``spec`` on ``target`` (one index lookup, one
        read of both entries)."""
        key = ledger_index.pair_key(spec, target)
        return self._predecessors(
            key, ledger_index.latest_of(conn, [(RUN, key), (STATUS, key)]), conn
        )

    def _predecessors(
        self,
        key: str,
        seqs: Mapping[tuple[str, str], int],
        conn: Connection | None,
        *,
        committed: bool = False,
    ) -> Predecessors:
        """``committed``: ``conn`` sees committed entries only, so those the ledger keeps in
        memory (:meth:`~assay.store.ledger.Ledger.committed_entries`) may stand for them; then
        ``conn`` may be None (those not kept are read through a connection of their own)."""
        wanted = sorted(seqs[(kind, key)] for kind in (RUN, STATUS) if (kind, key) in seqs)
        if committed:
            read = self.ledger.committed_entries(wanted, conn)
        elif conn is not None:
            read = self.ledger.entries_at(conn, wanted)
        else:
            raise ValueError("entries that may be uncommitted are read through a connection")
        entries = {e.seq: e.content for e in read}
        run_seq, status_seq = seqs.get((RUN, key)), seqs.get((STATUS, key))
        run = entries.get(run_seq) if run_seq is not None else None
        status = entries.get(status_seq) if status_seq is not None else None
        return Predecessors(
            key,
            (run_seq, status_seq),
            PreviousRun.of_payload(run) if isinstance(run, dict) else None,
            {**status, "seq": status_seq} if isinstance(status, dict) else None,
        )

    def predecessors_unchanged(self, known: Predecessors, conn: Connection) -> bool:
        """No run or status of the same spec and target was recorded since ``known`` was read
        (one index lookup under the ledger's head lock, which the transaction then keeps;
        inside the ledger's deferring block, a condition it checks under that lock before it
        writes, instead)."""
        keys = [(RUN, known.key), (STATUS, known.key)]
        if self.ledger.expect_latest(conn, dict(zip(keys, known.seqs, strict=True))):
            return True
        # Read under the head lock: a run another process stores after this read would
        # otherwise slip in before this transaction's append.
        self.ledger.lock_head(conn)
        seqs = ledger_index.latest_of(conn, keys)
        return (seqs.get((RUN, known.key)), seqs.get((STATUS, known.key))) == known.seqs

    def certificates(self, conn: Connection | None = None) -> dict[str, dict[str, Any]]:
        """Every certificate's current state, from its issue and later events."""
        state: dict[str, dict[str, Any]] = {}
        for entry, payload in self.payloads(CERTIFICATE, conn):
            certificate = payload["certificate"]
            if payload["event"] == "issued":
                state[certificate] = {**payload, "state": "active", "events": []}
            elif certificate in state:
                state[certificate]["state"] = payload["event"]
            if certificate in state:
                state[certificate]["events"].append({**payload, "seq": entry.seq})
        return state


def spec_record(spec_hash: str, spec_id: str, document: Mapping[str, Any]) -> Record:
    """The ``audit.spec`` record of a specification's content, its confidential values
    sealed."""
    payload = {"hash": spec_hash, "id": spec_id, "document": document}
    return Record(SPEC, payload, [("document", *path) for path in hidden_spec_paths(document)])


def run_record(run: RunModel) -> Record:
    """The ``audit.run`` record of a run, its confidential values sealed."""
    payload = run.payload()
    return Record(RUN, payload, hidden_run_paths(payload))


def measurement_record(kind: str, payload: Mapping[str, Any], hidden: Set[str]) -> Record:
    """An ``audit.measurement`` (or ``audit.measurement_batch``) record, with the values,
    errors, sources and provenance of ``hidden`` elements sealed."""
    return Record(kind, payload, measurement_paths(payload, hidden))


def batch_record(
    about: Mapping[str, Any], values: list[dict[str, Any]], hidden: Set[str]
) -> Record:
    """An ``audit.measurement_batch`` record of the pushed ``values`` (each ``{element,
    value, measured_at, metadata}``) that later ones superseded. The values of ``hidden``
    elements are kept apart, in ``confidential_values``, sealed as one: one seal per batch
    however many values it holds."""
    public = [item for item in values if item["element"] not in hidden]
    secret = [item for item in values if item["element"] in hidden]
    payload = {**about, "values": public}
    if secret:
        payload["confidential_values"] = secret
    return Record(MEASUREMENT_BATCH, payload, [("confidential_values",)] if secret else [])


def attestation_record(payload: Mapping[str, Any], hidden: Set[str]) -> Record:
    """An ``audit.attestation`` record, its value and evidence sealed when the element is
    among ``hidden``."""
    return Record(ATTESTATION, payload, measurement_paths(payload, hidden, ATTESTATION_SECRET_KEYS))


def status_change(
    spec: str, target: str, status: str, previous: str | None, reason: str, run_id: str, at: str
) -> tuple[str, dict[str, Any]]:
    """The ledger item recording that (spec, target) changed from ``previous`` to ``status``."""
    payload = {
        "spec": spec,
        "target": target,
        "status": status,
        "previous": previous,
        "reason": reason,
        "run_id": run_id,
        "at": at,
    }
    return STATUS, payload


def active_certificates(
    certificates: Mapping[str, Mapping[str, Any]], spec: str, target: str
) -> list[str]:
    """Ids of the active certificates of ``spec`` for ``target``."""
    return [
        certificate
        for certificate, state in certificates.items()
        if state["spec"] == spec and state["target"] == target and state["state"] == "active"
    ]

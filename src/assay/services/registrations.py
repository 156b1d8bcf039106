"""Specifications kept in the store and the targets registered against them (the server's view).

A specification uploaded to the server is an ``audit.spec`` ledger entry, once per content hash;
its versions are those entries. Registering a target against a specification is an
``audit.registration`` entry naming the mode of assessment (self-assessment, third-party
audit, certification), the model it follows in a registry, and who registered it; the latest
registration of a (spec, target) is the one in force. When the spec has requirements with a
frequency, registering also creates (or updates) the scheduler's job for the pair, in the same
transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from assay.audit.spec import Requirement, walk
from assay.errors import InvalidInputError
from assay.files.spec import LoadedSpec, spec_from_text
from assay.store import Store, ledger_index
from assay.store.audit_log import SPEC, AuditLog, BeforeRun, spec_record
from assay.store.ledger import Item
from assay.store.schedule import upsert_job

__all__ = [
    "REGISTRATION",
    "Mode",
    "Registration",
    "UnknownSpecError",
    "audited_version",
    "audited_version_keys",
    "find_registration",
    "register_target",
    "registrations",
    "schedule_period",
    "spec_versions",
    "store_spec",
    "stored_spec",
]

REGISTRATION = "audit.registration"


class Mode(StrEnum):
    """How a target is assessed (001 §5.4.1.2): by its own team, by an independent auditing
    party, or towards a certificate published by a certification body."""

    self_assessment = "self-assessment"
    third_party = "third-party"
    certification = "certification"


class UnknownSpecError(InvalidInputError):
    """No specification (or no such version of it) is stored."""


@dataclass(frozen=True)
class Registration:
    """A target registered against a specification, as it is in force now."""

    spec: str
    spec_hash: str
    target: str
    mode: Mode
    model: str | None
    registered_by: str | None
    at: str
    seq: int
    promote: str | None = None
    rollback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "spec": self.spec,
            "spec_hash": self.spec_hash,
            "target": self.target,
            "mode": self.mode.value,
            "model": self.model,
            "registered_by": self.registered_by,
            "at": self.at,
            "promote": self.promote,
            "rollback": self.rollback,
        }


def store_spec(store: Store, loaded: LoadedSpec) -> bool:
    """Keep ``loaded`` as an ``audit.spec`` entry unless this content is stored already;
    True when it was new."""
    log = AuditLog(store.ledger)
    with store.database.writing() as conn:
        if log.spec_stored(loaded.hash, conn):
            return False
        store.ledger.append_in(conn, [spec_record(loaded.hash, loaded.spec.id, loaded.data)])
    return True


def spec_versions(store: Store, spec_id: str | None = None) -> list[dict[str, Any]]:
    """The stored versions of every specification (or of ``spec_id``), oldest first: id, hash,
    the spec's own version and name, and the ledger entry that holds it."""
    versions = []
    for entry, payload in AuditLog(store.ledger).payloads(SPEC):
        if spec_id is not None and payload["id"] != spec_id:
            continue
        document = payload.get("document") or {}
        versions.append(
            {
                "id": payload["id"],
                "hash": payload["hash"],
                "version": str(document.get("version", "1")),
                "name": document.get("name"),
                "seq": entry.seq,
                "stored": entry.ts,
            }
        )
    return versions


def stored_spec(store: Store, spec_id: str, spec_hash: str | None, base_dir: Path) -> LoadedSpec:
    """The stored version ``spec_hash`` of ``spec_id`` (a unique prefix will do; the newest
    when None), checked again, with relative paths starting at ``base_dir``."""
    found = _indexed_spec(store, spec_id, spec_hash)
    if found is None and spec_hash is not None and not _FULL_HASH.match(spec_hash):
        for _, payload in AuditLog(store.ledger).payloads(SPEC, id=spec_id):  # a prefix
            if str(payload["hash"]).startswith(spec_hash):
                found = payload
    if found is None:
        which = f"version {spec_hash} of " if spec_hash else ""
        raise UnknownSpecError(
            f"no {which}specification {spec_id!r} is stored",
            source="spec",
            expected="a specification uploaded first (POST /api/v1/specs)",
        )
    return _checked(_Version(found["hash"], base_dir, spec_id, found["document"]))


_FULL_HASH = re.compile(r"^[0-9a-f]{64}$")


def audited_version_keys(spec_id: str, target: str) -> list[tuple[str, str]]:
    """The (kind, key)s of the ledger index :func:`audited_version` looks up for a run of
    ``spec_id`` on ``target``, for a caller that reads them together with something else."""
    return [*AuditLog.before_run_keys(spec_id, target, None), *_version_keys(spec_id, target)]


def _version_keys(spec_id: str, target: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """The index keys of ``target``'s registration to ``spec_id`` and of its newest version."""
    return (
        (REGISTRATION, ledger_index.pair_key(spec_id, target)),
        (SPEC, ledger_index.spec_id_key(spec_id)),
    )


def audited_version(
    store: Store,
    spec_id: str,
    target: str,
    base_dir: Path,
    latest: Mapping[tuple[str, str], int] | None = None,
) -> tuple[LoadedSpec, BeforeRun]:
    """The version of ``spec_id`` a run on ``target`` is evaluated against (its
    registration's, else the newest stored) and what the run reads of the ledger before it
    is stored (:meth:`AuditLog.before_run`): one index lookup and one read of the last run
    and status, where :func:`find_registration`, :func:`stored_spec` and ``before_run`` take
    three. ``latest``: the index lookup of :func:`audited_version_keys`, when the caller made
    it already. :class:`UnknownSpecError` when no version is stored."""
    if latest is not None:
        return _audited_version(store, spec_id, target, base_dir, None, latest)
    with store.database.reading() as conn:
        return _audited_version(store, spec_id, target, base_dir, conn, None)


def _audited_version(
    store: Store,
    spec_id: str,
    target: str,
    base_dir: Path,
    conn: Connection | None,
    latest: Mapping[tuple[str, str], int] | None,
) -> tuple[LoadedSpec, BeforeRun]:
    """:func:`audited_version` through ``conn`` (None: the index lookup is ``latest``, and
    entries not kept in memory are read through connections of their own)."""
    registration_key, newest_key = _version_keys(spec_id, target)
    prior = AuditLog(store.ledger).before_run(
        spec_id, target, None, conn, also=[registration_key, newest_key], latest=latest
    )
    # Registrations and specs are committed entries: cached, read once per process.
    wanted = [*prior.also.values()]
    entries = {e.seq: e.content for e in store.ledger.committed_entries(wanted, conn)}
    registered = entries.get(prior.also.get(registration_key, 0))
    found = entries.get(prior.also.get(newest_key, 0))
    if isinstance(registered, dict) and (
        not isinstance(found, dict) or found.get("hash") != registered["spec_hash"]
    ):
        found = _indexed_spec(store, spec_id, registered["spec_hash"], conn)
    if not isinstance(found, dict) or found.get("id") != spec_id:
        which = f"version {registered['spec_hash']} of " if isinstance(registered, dict) else ""
        raise UnknownSpecError(
            f"no {which}specification {spec_id!r} is stored",
            source="spec",
            expected="a specification uploaded first (POST /api/v1/specs)",
        )
    return _checked(_Version(found["hash"], base_dir, spec_id, found["document"])), prior


def _indexed_spec(
    store: Store, spec_id: str, spec_hash: str | None, conn: Connection | None = None
) -> dict[str, Any] | None:
    """The stored version of ``spec_id`` with the full hash ``spec_hash``, or its newest
    (None), through the ledger's index (read through ``conn`` when given)."""
    if spec_hash is not None and not _FULL_HASH.match(spec_hash):
        return None
    key = spec_hash if spec_hash is not None else ledger_index.spec_id_key(spec_id)
    if conn is None:
        with store.database.reading() as reading:
            seq = ledger_index.latest_seq(reading, SPEC, key)
    else:
        seq = ledger_index.latest_seq(conn, SPEC, key)
    found = store.ledger.committed_entries([seq], conn) if seq is not None else []
    payload = found[0].content if found else None
    if isinstance(payload, dict) and payload.get("id") == spec_id:
        return payload
    return None


@dataclass(frozen=True)
class _Version:
    """A stored version of a spec, known by its content hash: its document is not compared,
    so that a push does not write the document out again only to find it checked already."""

    spec_hash: str
    base_dir: Path
    spec_id: str
    document: Any = field(compare=False, hash=False)


@lru_cache(maxsize=256)
def _checked(version: _Version) -> LoadedSpec:
    """A stored version checked once per process: its content never changes for its hash."""
    return spec_from_text(json.dumps(version.document), f"spec {version.spec_id}", version.base_dir)


def schedule_period(loaded: LoadedSpec) -> float | None:
    """How often the scheduler runs the spec, in seconds: the shortest frequency of its
    requirements (None when none has one)."""
    periods = [
        element.every.total_seconds()
        for _, element in walk(loaded.spec)
        if isinstance(element, Requirement) and element.every
    ]
    return min(periods) if periods else None


def register_target(
    store: Store,
    loaded: LoadedSpec,
    target: str,
    *,
    mode: Mode,
    model: str | None,
    by: str | None,
    now: datetime,
    promote: str | None = None,
    rollback: str | None = None,
) -> Registration:
    """Register ``target`` against the stored spec ``loaded`` (stored now if it is not yet) and
    schedule it at its requirements' shortest frequency, first due now. ``promote`` and
    ``rollback`` name the MLflow aliases gated on runs that a new model version starts."""
    if not target.strip():
        raise InvalidInputError("the target is empty", source="target", expected="a name")
    log = AuditLog(store.ledger)
    payload = {
        "spec": loaded.spec.id,
        "spec_hash": loaded.hash,
        "target": target,
        "mode": mode.value,
        "model": model,
        "registered_by": by,
        "at": now.isoformat(),
        "promote": promote,
        "rollback": rollback,
    }
    with store.database.writing() as conn:
        items: list[Item] = []
        if not log.spec_stored(loaded.hash, conn):
            items.append(spec_record(loaded.hash, loaded.spec.id, loaded.data))
        items.append((REGISTRATION, payload))
        entries = store.ledger.append_in(conn, items)
        period = schedule_period(loaded)
        if period is not None:
            upsert_job(conn, loaded.spec.id, target, period, now.timestamp())
    return _registration(payload, entries[-1].seq)


def _registration(payload: Mapping[str, Any], seq: int) -> Registration:
    return Registration(
        payload["spec"],
        payload["spec_hash"],
        payload["target"],
        Mode(payload["mode"]),
        payload.get("model"),
        payload.get("registered_by"),
        payload["at"],
        seq,
        payload.get("promote"),
        payload.get("rollback"),
    )


def registrations(store: Store, conn: Connection | None = None) -> list[Registration]:
    """The registration in force for every (spec, target), in the order first registered."""
    latest: dict[tuple[str, str], Registration] = {}
    for entry, payload in AuditLog(store.ledger).payloads(REGISTRATION, conn):
        latest[(payload["spec"], payload["target"])] = _registration(payload, entry.seq)
    return list(latest.values())


def find_registration(store: Store, spec: str, target: str) -> Registration | None:
    """The registration in force for (spec, target), if any (through the ledger's index)."""
    with store.database.reading() as conn:
        seq = ledger_index.latest_seq(conn, REGISTRATION, ledger_index.pair_key(spec, target))
    found = store.ledger.committed_entries([seq]) if seq is not None else []
    payload = found[0].content if found else None
    return _registration(payload, found[0].seq) if isinstance(payload, dict) else None

"""The newest ledger entry of each key, for the kinds looked up by key on every audit run and
every push: the last run of a (spec, target), its last conformity status and its registration,
a specification's content by hash, and the newest specification of an id.

Without it those lookups decode entries of their kind from the end of the ledger until one
matches — a cost that grows with the ledger and with the number of targets pushing to it.
The index is derived: each append writes it in the same transaction as the entries (the
ledger's head lock orders the writers), migration 0009 builds it for an existing ledger, and
it holds sequence numbers only, so the entries themselves — hashed and verified — are still
what is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from assay.store.driver_reads import driver_sql_rows, outside_transaction
from assay.store.schema import ledger_latest

__all__ = [
    "INDEXED_KINDS",
    "latest_keys",
    "latest_of",
    "latest_seq",
    "latest_seqs",
    "pair_key",
    "record",
    "spec_id_key",
]

_SEPARATOR = "\x1f"  # cannot occur in a spec id or a target name


def pair_key(spec: str, target: str) -> str:
    """The key of a (spec, target) pair."""
    return f"{spec}{_SEPARATOR}{target}"


def spec_id_key(spec: str) -> str:
    """The key of the newest specification stored under id ``spec`` (its hash is the key of
    one version)."""
    return f"id{_SEPARATOR}{spec}"


def _run_keys(payload: Mapping[str, Any]) -> tuple[str, ...]:
    spec, target = payload.get("spec"), payload.get("target")
    if isinstance(spec, dict) and isinstance(spec.get("id"), str) and isinstance(target, str):
        return (pair_key(spec["id"], target),)
    return ()


def _pair_keys(payload: Mapping[str, Any]) -> tuple[str, ...]:
    spec, target = payload.get("spec"), payload.get("target")
    if isinstance(spec, str) and isinstance(target, str):
        return (pair_key(spec, target),)
    return ()


def _of_spec_keys(payload: Mapping[str, Any]) -> tuple[str, ...]:
    spec = payload.get("spec")
    return (spec_id_key(spec),) if isinstance(spec, str) else ()


def _spec_keys(payload: Mapping[str, Any]) -> tuple[str, ...]:
    digest, spec = payload.get("hash"), payload.get("id")
    if isinstance(digest, str) and isinstance(spec, str):
        return digest, spec_id_key(spec)
    return ()


# kind -> the keys of an entry of that kind, from its payload as chained
INDEXED_KINDS: dict[str, Callable[[Mapping[str, Any]], tuple[str, ...]]] = {
    "audit.run": _run_keys,
    "audit.status": _pair_keys,
    "audit.registration": _pair_keys,
    "audit.spec": _spec_keys,
    # Whether a spec has any attestation or waiver at all: most have none, and then every run
    # is spared reading them.
    "audit.attestation": _of_spec_keys,
    "audit.waiver": _of_spec_keys,
}


def latest_keys(entries: Iterable[tuple[int, str, Any]]) -> dict[tuple[str, str], int]:
    """For ``(seq, kind, payload)`` in order: the last seq of each (kind, key)."""
    latest: dict[tuple[str, str], int] = {}
    for seq, kind, payload in entries:
        keys_of = INDEXED_KINDS.get(kind)
        if keys_of is not None and isinstance(payload, Mapping):
            for key in keys_of(payload):
                latest[(kind, key)] = seq
    return latest


def record(conn: Connection, latest: Mapping[tuple[str, str], int]) -> None:
    """Point each (kind, key) of ``latest`` at its seq, inside the appending transaction."""
    if not latest:
        return
    rows = [{"kind": kind, "key": key, "seq": seq} for (kind, key), seq in latest.items()]
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ledger_latest)
        conn.execute(
            upsert.on_conflict_do_update(
                index_elements=["kind", "key"], set_={"seq": upsert.excluded.seq}
            ),
            rows,
        )
        return
    for row in rows:  # another dialect: replace row by row
        conn.execute(
            delete(ledger_latest).where(
                (ledger_latest.c.kind == row["kind"]) & (ledger_latest.c.key == row["key"])
            )
        )
    conn.execute(insert(ledger_latest), rows)


def latest_seq(conn: Connection, kind: str, key: str) -> int | None:
    """The seq of the newest entry of ``kind`` with ``key``, if any."""
    found = conn.execute(
        select(ledger_latest.c.seq).where(
            (ledger_latest.c.kind == kind) & (ledger_latest.c.key == key)
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


# One statement for any number of keys (an expanding IN of (kind, key) pairs): built and
# compiled once, where a condition written out per key cost more to build than to run.
_LATEST_OF = select(ledger_latest.c.kind, ledger_latest.c.key, ledger_latest.c.seq).where(
    tuple_(ledger_latest.c.kind, ledger_latest.c.key).in_(bindparam("wanted", expanding=True))
)


# The same on PostgreSQL, with the keys as two arrays: constant text for any number of keys,
# run by the driver (psycopg's parameter style) past SQLAlchemy's execution machinery.
LATEST_OF_POSTGRES = (
    "SELECT l.kind, l.key, l.seq FROM ledger_latest AS l"
    " JOIN unnest(%s::text[], %s::text[]) AS w(kind, key) ON l.kind = w.kind AND l.key = w.key"
)


def latest_of(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The seq of the newest entry of each (kind, key) of ``keys`` that has one (one query)."""
    wanted = list(keys)
    if not wanted:
        return {}
    if conn.dialect.name == "postgresql" and outside_transaction(conn):
        arrays = ([kind for kind, _ in wanted], [key for _, key in wanted])
        rows: Iterable[Any] = driver_sql_rows(conn, LATEST_OF_POSTGRES, arrays)
    else:
        rows = conn.execute(_LATEST_OF, {"wanted": wanted})
    return {(kind, key): int(seq) for kind, key, seq in rows}


def latest_seqs(conn: Connection, kind: str) -> list[int]:
    """The seq of the newest entry of each key of ``kind``, in ledger order."""
    return [
        int(seq)
        for (seq,) in conn.execute(
            select(ledger_latest.c.seq)
            .where(ledger_latest.c.kind == kind)
            .order_by(ledger_latest.c.seq)
        )
    ]

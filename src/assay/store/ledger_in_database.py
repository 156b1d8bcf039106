"""A ledger append run inside PostgreSQL, by the function ``assay_ledger_append`` (migration
0010): one call takes the head lock, checks the batch's conditions on the ledger index,
numbers, stamps and chains the entries, adds their Merkle tree nodes and writes everything.

Why inside the database: under load, each answer a Python thread waits for while it holds the
head lock is a wait for the GIL behind its process's other threads, and every other writer
waits for all of it. Here the lock is taken and released by PostgreSQL alone; sent in one
pipeline with the transaction's COMMIT, no thread runs while it is held.

The caller chains the same entries again from the head and stamp the call answers and compares
the last hash with the database's: the two computations of the format-2 hash
(:func:`assay.store.chain.entry_hash_v2`) must agree. Without the COMMIT a disagreement rolls
the append back; with it the entries are stored already, and ``assay ledger verify`` (which
hashes in Python) reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from assay.store.chain import ChainHead
from assay.store.group_commit import BatchRetry
from assay.store.pipeline import pipelined

__all__ = ["Appended", "BatchRows", "append_in_database"]

_CALL = (
    "SELECT before_seq, before_hash, stamp, after_hash FROM assay_ledger_append("
    "CAST(%b AS text[]), CAST(%b AS text[]), CAST(%b AS text[]),"
    " CAST(%b AS integer[]), CAST(%b AS text[]), CAST(%b AS text[]), CAST(%b AS text[]),"
    " CAST(%b AS text[]), CAST(%b AS text[]), CAST(%b AS integer[]),"
    " CAST(%b AS text[]), CAST(%b AS text[]), CAST(%b AS bigint[]))"
)
_CONDITION_FAILED = "AL001"  # the SQLSTATE the function raises when a condition does not hold
_TREE_INCOMPLETE = "AL002"  # ... when the stored tree lacks a node of its frontier
_NO_ENTRY = 0  # an expected seq of "no entry of this key": no entry is numbered 0


@dataclass
class BatchRows:
    """What a batch appends, in order: each entry's kind, canonical payload text and payload
    hash; its disclosures as (entry's position from 1, pointer, salt, value's JSON); and the
    index's (kind, key) pointing at an entry, by position from 1."""

    kinds: list[str] = field(default_factory=list)
    payloads: list[str] = field(default_factory=list)
    payload_hashes: list[str] = field(default_factory=list)
    disclosures: list[tuple[int, str, str, str]] = field(default_factory=list)
    index: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Appended:
    """What the database did: the head the entries follow and the stamp they bear."""

    before: ChainHead
    ts: str
    after_hash: str


def append_in_database(
    conn: Connection,
    rows: BatchRows,
    expected: Mapping[tuple[str, str], int | None],
    *,
    commit: bool,
) -> Appended:
    """Append ``rows`` inside ``conn``'s write transaction (PostgreSQL through psycopg), once
    every (kind, key) of ``expected`` still points at its seq (None: at no entry); else
    :class:`BatchRetry`, and the transaction must be rolled back. With ``commit``, the
    transaction's COMMIT goes in the same round trip, and nothing may run on ``conn`` after
    this but the end of its transaction block."""
    driver = conn.connection.driver_connection
    assert driver is not None
    disclosures = rows.disclosures
    parameters = (
        rows.kinds,
        rows.payloads,
        rows.payload_hashes,
        [at for at, _, _, _ in disclosures],
        [pointer for _, pointer, _, _ in disclosures],
        [salt for _, _, salt, _ in disclosures],
        [value for _, _, _, value in disclosures],
        [kind for kind, _ in rows.index],
        [key for _, key in rows.index],
        list(rows.index.values()),
        [kind for kind, _ in expected],
        [key for _, key in expected],
        [_NO_ENTRY if seq is None else seq for seq in expected.values()],
    )
    try:
        with pipelined(conn):
            cursor = driver.execute(_CALL, parameters)
            if commit:
                driver.commit()  # queued behind the call: one synchronisation for both
    except DBAPIError as error:
        state = getattr(error.orig, "sqlstate", None)
        if state == _CONDITION_FAILED:
            raise BatchRetry("the ledger changed under a deferred append's condition") from error
        if state == _TREE_INCOMPLETE:
            raise LookupError(str(error.orig)) from error
        raise
    row = cursor.fetchone()
    assert row is not None, "the function answers one row"
    before_seq, before_hash, ts, after_hash = row
    return Appended(ChainHead(int(before_seq), str(before_hash)), str(ts), str(after_hash))

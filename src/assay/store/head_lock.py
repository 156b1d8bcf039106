"""Taking the ledger's head lock together with what an append reads under it: the chain's
head, the index entries a deferred batch's conditions name, and the Merkle tree's frontier
(the perfect subtrees of the tree as long as the chain).

On PostgreSQL the three queries go out in one pipeline, so they cost one round trip: the
lock is granted, and the other two run right after it, each seeing what the lock's previous
holder committed. Every round trip made while the lock is held is a wait for the GIL again
behind the process's other threads, and the other writers wait for all of it. Elsewhere
(SQLite, locked from ``BEGIN IMMEDIATE`` on) the head and the index are read one after the
other, and the frontier is left to :class:`~assay.store.ledger_tree.TreeAppender`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, select

from assay.store import ledger_index
from assay.store.chain import ChainHead
from assay.store.ledger_tree import Frontier
from assay.store.pipeline import pipelined, pipelines
from assay.store.schema import ledger_head

__all__ = ["Locked", "lock_head"]

_HEAD = "SELECT seq, hash FROM ledger_head WHERE id = 1 FOR UPDATE"
_LATEST = ledger_index.LATEST_OF_POSTGRES
# The perfect parts of leaves [0, n) are the binary digits of n: for each bit ``level`` set,
# the subtree at that level whose index is n with that bit and the ones below it cleared,
# shifted down (assay.store.merkle.perfect_parts), largest first.
_FRONTIER = (
    "SELECT t.level, t.idx, t.hash FROM ledger_head AS h"
    " CROSS JOIN generate_series(0, 62) AS p(level)"
    " JOIN ledger_tree AS t ON t.level = p.level AND t.idx = (h.seq >> (p.level + 1)) << 1"
    " WHERE h.id = 1 AND ((h.seq >> p.level) & 1) = 1"
    " ORDER BY t.level DESC"
)


@dataclass(frozen=True)
class Locked:
    """What was read with the head lock: the head, the seq of each (kind, key) asked for that
    the index holds, and the tree's frontier at the head (None: not read here)."""

    head: ChainHead
    latest: dict[tuple[str, str], int]
    frontier: Frontier | None


def lock_head(conn: Connection, keys: Collection[tuple[str, str]] = ()) -> Locked:
    """Take the head lock for the rest of ``conn``'s write transaction, with the index's
    newest seq of each of ``keys`` and (on PostgreSQL) the tree's frontier, read under it."""
    if not pipelines(conn):
        query = select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1)
        if conn.dialect.name != "sqlite":  # SQLite is locked by BEGIN IMMEDIATE already
            query = query.with_for_update()
        row = conn.execute(query).one()
        latest = ledger_index.latest_of(conn, keys) if keys else {}
        return Locked(ChainHead(int(row.seq), str(row.hash)), latest, None)
    driver = conn.connection.driver_connection
    assert driver is not None
    wanted = list(keys)
    with pipelined(conn):
        head_cursor = driver.execute(_HEAD)
        latest_cursor = (
            driver.execute(_LATEST, ([k for k, _ in wanted], [key for _, key in wanted]))
            if wanted
            else None
        )
        frontier_cursor = driver.execute(_FRONTIER)
    row = head_cursor.fetchone()
    assert row is not None, "the ledger's head row is made by its migration"
    seq, digest = row
    latest = {(k, key): int(s) for k, key, s in latest_cursor} if latest_cursor else {}
    frontier = [((int(lv), int(ix)), bytes(h)) for lv, ix, h in frontier_cursor]
    if len(frontier) != int(seq).bit_count():
        raise LookupError(f"the ledger's Merkle tree lacks nodes of the tree of {seq} leaves")
    return Locked(ChainHead(int(seq), str(digest)), latest, frontier)

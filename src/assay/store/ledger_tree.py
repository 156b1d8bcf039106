"""The ledger's Merkle tree kept in the database (table ``ledger_tree``).

Each append adds its entries' leaves and every perfect subtree they complete, in the append's
transaction (about two rows per entry). Roots and proofs then read only the perfect subtrees
they fold (:func:`assay.store.merkle.perfect_parts`): O(log² n) rows for a proof, whatever the
ledger's length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, tuple_

from assay.store.merkle import NodeKey, Span, extend, fold, leaf_hash, perfect_parts
from assay.store.schema import ledger_tree

__all__ = ["TreeAppender", "TreeView", "span_roots"]

_KEYS_PER_QUERY = 200
_NODES = select(ledger_tree.c.level, ledger_tree.c.idx, ledger_tree.c.hash).where(
    tuple_(ledger_tree.c.level, ledger_tree.c.idx).in_(bindparam("wanted", expanding=True))
)


def _read(conn: Connection, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    wanted = sorted(set(keys))
    found: dict[NodeKey, bytes] = {}
    for start in range(0, len(wanted), _KEYS_PER_QUERY):
        chunk = wanted[start : start + _KEYS_PER_QUERY]
        rows = conn.execute(_NODES, {"wanted": chunk})
        found.update({(int(lv), int(ix)): bytes(digest) for lv, ix, digest in rows})
    missing = [key for key in wanted if key not in found]
    if missing:
        raise LookupError(f"the ledger's Merkle tree lacks nodes {missing[:3]}")
    return found


Frontier = list[tuple[NodeKey, bytes]]


class TreeAppender:
    """Works out the nodes that appended entries add to the stored tree, remembering the
    frontier (the perfect parts of the whole tree) of the last append it made, keyed by the
    chain head it leads to: the next append from that head reads nothing back. Any other head
    (another process appended, or the remembered append was rolled back) reads the frontier
    from the table."""

    def __init__(self) -> None:
        self._remembered: tuple[tuple[int, str], Frontier] | None = None

    def frontier(self, conn: Connection, head: tuple[int, str]) -> Frontier:
        """The perfect parts of the tree that ends at ``head`` (seq, hash): remembered when
        this appender's last append led there, else read through ``conn``."""
        if self._remembered is not None and self._remembered[0] == head:
            return self._remembered[1]
        keys = perfect_parts(0, head[0])
        stored = _read(conn, keys)
        return [(key, stored[key]) for key in keys]

    def nodes(
        self,
        head: tuple[int, str],
        new_head: tuple[int, str],
        entry_hashes: Sequence[str],
        frontier: Frontier,
    ) -> list[dict[str, object]]:
        """The rows of ``ledger_tree`` that the entries after ``head`` up to ``new_head`` add
        (their leaves and the subtrees they complete), given the tree's ``frontier`` at
        ``head``; the caller stores them in its transaction, which holds the append lock."""
        if not entry_hashes:
            return []
        leaves = [leaf_hash(bytes.fromhex(digest)) for digest in entry_hashes]
        completed, after = extend(frontier, head[0], leaves)
        self._remembered = (new_head, after)
        return [{"level": level, "idx": idx, "hash": digest} for (level, idx), digest in completed]


def span_roots(conn: Connection, spans: Sequence[Span]) -> list[bytes]:
    """MTH of each span (leaves ``[start, end)``), read from the stored subtrees in one pass."""
    parts = [perfect_parts(start, end) for start, end in spans]
    stored = _read(conn, (key for keys in parts for key in keys))
    return [fold([stored[key] for key in keys]) for keys in parts]


@dataclass(frozen=True)
class TreeView:
    """The tree of one consistent state of the ledger: its ``size`` and the roots of spans of
    it, read through ``conn`` (a snapshot transaction)."""

    conn: Connection
    size: int

    def roots(self, spans: Sequence[Span]) -> list[bytes]:
        """MTH of each span; every span must lie within ``size``."""
        if any(not 0 <= start < end <= self.size for start, end in spans):
            raise ValueError(f"a span lies outside the tree of {self.size} leaves")
        return span_roots(self.conn, spans)

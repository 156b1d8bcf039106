"""The head lock with what an append reads under it (:mod:`assay.store.head_lock`), on both
databases: the head, the index entries asked for and, on PostgreSQL, the Merkle tree's
frontier as :func:`assay.store.merkle.perfect_parts` names it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from assay.store import Store
from assay.store.head_lock import lock_head
from assay.store.ledger import Ledger
from assay.store.ledger_tree import TreeAppender
from assay.store.merkle import perfect_parts
from assay.store.schema import ledger_tree

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


def test_the_head_the_index_and_the_frontier_are_read_with_the_lock(store: Store) -> None:
    appended = 0
    for size in (1, 2, 3, 7, 8, 13, 32, 45):
        store.ledger.append_many([("test.entry", {"n": n}) for n in range(size - appended)])
        appended = size
        store.ledger.append("audit.status", {"spec": "s", "target": f"t{size}", "status": "x"})
        appended += 1
        with store.database.writing() as conn:
            locked = lock_head(conn, [("audit.status", f"s\x1ft{size}"), ("audit.run", "none")])
            assert (locked.head.seq, locked.head.hash) == (appended, store.ledger.head().hash)
            assert locked.latest == {("audit.status", f"s\x1ft{size}"): appended}
            stored = TreeAppender().frontier(conn, (locked.head.seq, locked.head.hash))
        assert [key for key, _ in stored] == perfect_parts(0, appended)
        if store.database.dialect == "postgresql":
            assert locked.frontier == stored
        else:
            assert locked.frontier is None  # the appender reads it


def test_an_append_onto_a_tree_with_a_node_missing_fails_and_stores_nothing(
    store: Store,
) -> None:
    store.ledger.append_many([("test.entry", {"n": n}) for n in range(5)])
    with store.database.writing() as conn:
        conn.execute(delete(ledger_tree).where(ledger_tree.c.level == 2))
    fresh = Ledger(store.database)  # remembers no frontier of its own
    with pytest.raises(LookupError, match="lacks nodes"):
        fresh.append("test.entry", {"n": 5})
    assert store.ledger.count() == 5

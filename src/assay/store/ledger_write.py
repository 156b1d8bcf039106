"""Everything one ledger append stores, in one PostgreSQL statement, for entries this process
chained itself: those of a deferring block whose head lock was taken before its end
(:meth:`~assay.store.ledger.Ledger.append_in` inside the block, or a read there). Other appends
on PostgreSQL are chained and written by the database (:mod:`assay.store.ledger_in_database`).

An append writes its entries, their disclosures, the Merkle tree's new nodes, the index's
newest seq of each key and the chain's head. On PostgreSQL those five writes are one statement:
four ``INSERT … SELECT * FROM unnest(…)`` as data-modifying ``WITH`` clauses of the ``UPDATE``
of the head, each table's rows sent as one binary array per column.

One statement rather than five in a pipeline, because all of it runs while the chain's head
lock is held. With per-batch timers in the 32-client load test (``time.thread_time`` against
``perf_counter``, benchmarks/README.md), the batch's thread spent 4.0-4.4 ms of CPU on the five
statements and 2.1-2.5 ms on the one, and the writing took 13.3-16.8 ms against 11.7-14.4 ms of
wall time: most of it is waiting for a core on a busy machine, which one statement does not
remove.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

from assay.store.bulk import column_arrays, unnest_insert_sql
from assay.store.chain import ChainHead
from assay.store.schema import ledger_disclosures, ledger_entries, ledger_latest, ledger_tree

__all__ = ["write_at_once"]

_UPSERT_LATEST = ' ON CONFLICT ("kind", "key") DO UPDATE SET "seq" = excluded."seq"'
_HEAD = 'UPDATE "ledger_head" SET "seq" = %s, "hash" = %s WHERE "id" = 1'
_TABLES = (ledger_entries, ledger_disclosures, ledger_tree, ledger_latest)


def write_at_once(
    conn: Connection,
    entries: Sequence[Mapping[str, Any]],
    disclosures: Sequence[Mapping[str, Any]],
    tree_nodes: Sequence[Mapping[str, Any]],
    latest: Mapping[tuple[str, str], int],
    head: ChainHead,
) -> None:
    """Store an append's rows of ``ledger_entries``, ``ledger_disclosures`` and
    ``ledger_tree``, point the index at ``latest`` and move the head to ``head``: one statement
    on ``conn``, a PostgreSQL connection through psycopg inside the appending transaction."""
    index_rows = [{"kind": kind, "key": key, "seq": seq} for (kind, key), seq in latest.items()]
    parts = (entries, disclosures, tree_nodes, index_rows)
    present = tuple(bool(rows) for rows in parts)
    parameters: list[Any] = []
    for table, rows in zip(_TABLES, parts, strict=True):
        if rows:
            parameters += column_arrays(table, rows)
    conn.exec_driver_sql(_statement(present), (*parameters, head.seq, head.hash))


@lru_cache(maxsize=16)
def _statement(present: tuple[bool, ...]) -> str:
    """The statement for the tables that have rows (an empty array's element type cannot be
    told, so a table without rows is left out)."""
    clauses = [
        f"w{number} AS ({_insert(table)})"
        for number, (table, has_rows) in enumerate(zip(_TABLES, present, strict=True))
        if has_rows
    ]
    return (f"WITH {', '.join(clauses)} " if clauses else "") + _HEAD


def _insert(table: Table) -> str:
    insert = unnest_insert_sql(table)
    return insert + _UPSERT_LATEST if table is ledger_latest else insert

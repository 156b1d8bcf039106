"""Statements sent together (:func:`assay.store.pipeline.pipelined`) on both databases: a
failing statement's error is raised as SQLAlchemy's, nothing of the transaction is kept, and
the ledger's writes go out pipelined on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError

from assay.store import Store
from assay.store.pipeline import pipelined
from assay.store.schema import ledger_latest

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


def test_a_failing_statement_is_raised_as_sqlalchemys_and_nothing_is_kept(store: Store) -> None:
    row = {"kind": "test.entry", "key": "k", "seq": 1}

    def insert_twice() -> None:
        """The same primary key twice: on PostgreSQL the error comes when the block ends."""
        with store.database.writing() as conn, pipelined(conn):
            conn.execute(insert(ledger_latest), [row])
            conn.execute(insert(ledger_latest), [row])

    with pytest.raises(IntegrityError):
        insert_twice()
    with store.database.reading() as conn:
        assert conn.execute(select(ledger_latest)).all() == []


def test_statements_of_the_block_are_all_run(store: Store) -> None:
    with store.database.writing() as conn, pipelined(conn):
        for number in range(5):
            conn.execute(
                insert(ledger_latest), [{"kind": "test.entry", "key": f"{number}", "seq": number}]
            )
    with store.database.reading() as conn:
        assert sorted(conn.execute(select(ledger_latest.c.seq)).scalars()) == list(range(5))


def test_the_ledgers_writes_are_pipelined_on_postgresql(store: Store) -> None:
    store.ledger.append("test.entry", {"n": 0})  # the tree's first nodes
    modes: list[str] = []
    statements: list[str] = []

    def seen(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            driver = conn.connection.driver_connection
            status = getattr(getattr(driver, "info", None), "pipeline_status", None)
            modes.append(getattr(status, "name", "none"))
            statements.append(statement[:60])

    event.listen(store.database.engine, "before_cursor_execute", seen)
    try:
        store.ledger.append_many([("test.entry", {"n": n}) for n in range(1, 4)])
    finally:
        event.remove(store.database.engine, "before_cursor_execute", seen)
    assert len(modes) == 3, statements  # entries, tree nodes, head
    expected = "ON" if store.database.dialect == "postgresql" else "none"
    assert set(modes) == {expected}
    assert store.ledger.verify().ok

"""Statements sent together (:func:`assay.store.pipeline.pipelined`) on both databases: a
failing statement's error is raised as SQLAlchemy's, and nothing of the transaction is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select
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

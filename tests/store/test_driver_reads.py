"""Reads through the driver's cursor (store/driver_reads.py) give what SQLAlchemy gives for the
same statement, on SQLite and PostgreSQL, and a database gone mid-read is the same clear error
as for any other statement."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, bindparam, event, select, text
from sqlalchemy.exc import DBAPIError

from assay.errors import DatabaseUnavailableError
from assay.store import Store
from assay.store.driver_reads import driver_rows, driver_sql_rows
from assay.store.ledger_index import latest_of
from assay.store.schema import api_tokens
from assay.store.tokens import Role, create_token, find_token, revoke_token

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)

BY_NAME = select(api_tokens).where(api_tokens.c.name == bindparam("name"))


def test_rows_are_those_sqlalchemy_reads(store: Store) -> None:
    create_token(store, name="one", role=Role.auditee, scope="model@1")
    create_token(store, name="two", role=Role.auditor, internal=True)
    with store.database.reading() as conn:
        for name in ("one", "two", "nobody"):
            expected = [tuple(row) for row in conn.execute(BY_NAME, {"name": name})]
            assert driver_rows(conn, BY_NAME, name=name) == expected
            assert driver_rows(conn, BY_NAME, name=name) == expected  # compiled once, kept
    assert len(expected) == 0
    assert find_token(store, "assay_nope_nope") is None


def test_a_token_found_by_the_driver_is_the_one_created_and_revocation_counts_at_once(
    store: Store,
) -> None:
    token, presented = create_token(store, name="ci", role=Role.auditee, scope="model@1")
    assert find_token(store, presented) == token
    identifier = presented.split("_")[1]
    assert find_token(store, f"assay_{identifier}_wrongsecret") is None
    revoke_token(store, token.id)
    assert find_token(store, presented) is None


def test_the_index_lookup_agrees_with_sqlalchemy(store: Store) -> None:
    store.ledger.append_many(
        [("audit.status", {"spec": "s", "target": t, "status": "conformant"}) for t in "ab"]
    )
    with store.database.reading() as conn:
        rows = conn.execute(text("SELECT kind, key, seq FROM ledger_latest")).all()
        stored = {(kind, key): int(seq) for kind, key, seq in rows}
        wanted = [*stored, ("audit.status", "no such key")]
        assert stored
        assert latest_of(conn, wanted) == stored


def test_inside_a_transaction_reads_go_through_sqlalchemy(store: Store) -> None:
    """Its listeners must see them: the ledger writes a deferred batch's entries first."""
    create_token(store, name="one", role=Role.auditee)
    seen: list[str] = []
    event.listen(store.database.engine, "before_execute", lambda *args: seen.append("x"))
    with store.database.writing() as conn:
        assert len(driver_rows(conn, BY_NAME, name="one")) == 1
        with pytest.raises(ValueError, match="inside a transaction"):
            driver_sql_rows(conn, "SELECT 1", ())
    assert seen == ["x"]


def test_a_driver_error_is_the_one_sqlalchemy_raises(store: Store, database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite's reads are in a transaction: they go through SQLAlchemy")

    def raised(read: Callable[[Connection], object]) -> tuple[type, type, str]:
        with (
            pytest.raises((DBAPIError, DatabaseUnavailableError)) as caught,
            store.database.reading() as conn,
        ):
            read(conn)
        return type(caught.value), type(caught.value.__cause__), str(caught.value)

    wrong = "SELECT * FROM no_such_table"
    by_driver = raised(lambda conn: driver_sql_rows(conn, wrong, ()))
    assert by_driver == raised(lambda conn: conn.execute(text(wrong)))
    assert "no_such_table" in by_driver[2]


def test_a_database_gone_mid_read_is_named_unavailable(store: Store, database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("an SQLite file has no server to lose")
    create_token(store, name="one", role=Role.auditee)

    def read_after_the_server_dropped_the_connection() -> None:
        with store.database.reading() as conn:
            (pid,) = driver_sql_rows(conn, "SELECT pg_backend_pid()", ())[0]
            with store.database.engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            driver_rows(conn, BY_NAME, name="one")

    with pytest.raises(DatabaseUnavailableError):
        read_after_the_server_dropped_the_connection()

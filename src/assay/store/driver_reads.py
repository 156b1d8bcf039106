"""Reads on the path of every request, run by the driver's own cursor.

SQLAlchemy's ``Connection.execute`` costs more CPU than the query it runs for a one-row read:
its execution context, result metadata and row objects took about 450 µs of a 740 µs token
lookup on PostgreSQL here, psycopg itself 140 (benchmarks/README.md, "Evidence pushes by a
lane of their own"). :func:`driver_rows` runs a statement built once with SQLAlchemy,
compiled once per dialect, through the DBAPI cursor of the same connection: the same SQL and
transaction, plain tuples back, and no result processing, so it is for columns whose driver
values are what the caller wants (text, integers). It does so only on a connection reading
outside any transaction (PostgreSQL's reads); elsewhere the statement goes through
SQLAlchemy as usual. A driver's error comes back as
SQLAlchemy's, so that :meth:`~assay.store.database.Database.translate_errors` names an
unreachable database as it does for every other statement.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

__all__ = ["driver_rows", "driver_sql_rows", "outside_transaction"]

# Keyed by the statement itself (kept alive here, so its identity is never reused).
_compiled: dict[tuple[Executable, str], tuple[str, tuple[str, ...] | None]] = {}
_compiled_lock = threading.Lock()


def driver_rows(conn: Connection, statement: Executable, **params: Any) -> list[tuple[Any, ...]]:
    """The rows of ``statement`` (built once, at module level: it is compiled once per dialect
    and kept) with ``params`` for its bound parameters, as the driver returns them."""
    if not outside_transaction(conn):
        return [tuple(row) for row in conn.execute(statement, params)]
    sql, order = _compile(statement, conn)
    values: Sequence[Any] | dict[str, Any] = (
        params if order is None else tuple(params[name] for name in order)
    )
    return driver_sql_rows(conn, sql, values)


def driver_sql_rows(
    conn: Connection, sql: str, values: Sequence[Any] | dict[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of ``sql``, written in the driver's parameter style, with ``values``, on a
    connection :func:`outside_transaction` (inside one, SQLAlchemy's listeners must see each
    statement: the caller runs it through SQLAlchemy instead)."""
    if not outside_transaction(conn):
        raise ValueError("a driver read inside a transaction would pass SQLAlchemy's listeners")
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, values)
        return [tuple(row) for row in cursor.fetchall()]
    except dbapi.Error as error:
        raise DBAPIError.instance(sql, values, error, dbapi.Error) from error
    finally:
        cursor.close()


def outside_transaction(conn: Connection) -> bool:
    """Whether ``conn`` reads outside any transaction (PostgreSQL's reading connections).
    Inside a transaction a statement goes through SQLAlchemy, whose ``before_execute``
    listeners must see it: the ledger writes a deferred batch's entries before any read of
    the batch's transaction, so that the read sees them."""
    return bool(conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")


def _compile(statement: Executable, conn: Connection) -> tuple[str, tuple[str, ...] | None]:
    """The SQL text of ``statement`` for ``conn``'s dialect and, for a positional parameter
    style, the order of its parameters' names."""
    key = (statement, conn.dialect.name)
    found = _compiled.get(key)
    if found is None:
        compiled = statement.compile(dialect=conn.dialect)  # type: ignore[attr-defined]
        order = tuple(compiled.positiontup) if compiled.positiontup else None
        found = (compiled.string, order)
        with _compiled_lock:
            _compiled[key] = found
    return found

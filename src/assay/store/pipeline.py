"""Statements sent together. On PostgreSQL through psycopg, the statements of a
:func:`pipelined` block go out without waiting for each one's answer (psycopg's pipeline mode),
and the block ends with one synchronisation: one round trip for the lot instead of one each.
Under load that matters more than the network time: every answer a thread waits for is a
wait for the GIL again behind the process's other threads, and a ledger write holds the
chain's head lock through all of them. Elsewhere the block changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

__all__ = ["pipelined", "pipelines"]


def pipelines(conn: Connection) -> bool:
    """``conn`` is a PostgreSQL connection through psycopg, whose statements can be sent
    together."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """Run the block's statements on ``conn`` pipelined where the driver can (see the module).
    A statement's error may surface only when the block ends; it is raised then as SQLAlchemy
    raises driver errors (:class:`~sqlalchemy.exc.DBAPIError` and its kinds), and the caller's
    transaction is to be rolled back, as after any failed statement."""
    if not pipelines(conn):
        yield
        return
    import psycopg

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.pipeline():
            yield
    except psycopg.Error as error:
        raise DBAPIError.instance(None, None, error, psycopg.Error) from error

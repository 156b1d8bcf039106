"""What a store's PostgreSQL connections send, as libpq traces it."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from psycopg.pq import Trace
from sqlalchemy import event

from assay.store.database import Database


@contextmanager
def wire(database: Database) -> Iterator[Callable[[], str]]:
    """On PostgreSQL, what the database's connections checked out in the block send, traced by
    libpq, read back as text (a statement's text goes out once per execution until psycopg
    prepares it, after five)."""
    with tempfile.TemporaryFile() as trace:
        traced: list[Any] = []

        def checked_out(dbapi_connection: Any, *_: Any) -> None:
            pgconn = dbapi_connection.pgconn
            pgconn.trace(trace.fileno())
            pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
            traced.append(pgconn)

        def sent() -> str:
            trace.seek(0)
            return trace.read().decode("utf-8", "replace")

        event.listen(database.engine, "checkout", checked_out)
        try:
            yield sent
        finally:
            event.remove(database.engine, "checkout", checked_out)
            for pgconn in traced:
                pgconn.untrace()


def client_messages(sent: str) -> list[str]:
    """The lines of a trace ``sent`` that are messages from the client (libpq's ``F``)."""
    return [line for line in sent.splitlines() if line.startswith("F\t")]

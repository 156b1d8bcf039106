"""Persistence: the database, its migrations and the evidence ledger.

Typical use::

    from assay.store import open_store

    store = open_store(choose_database(None))
    entry = store.ledger.append("measurement.result", {"metric": "accuracy", "value": 0.91})
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from assay.errors import DatabaseUnavailableError, SchemaVersionError
from assay.store.alerts import AlertStore
from assay.store.chain import ChainHead, LedgerEntry, VerificationResult
from assay.store.config import DatabaseChoice
from assay.store.database import Database, connect
from assay.store.events import EventStore
from assay.store.group_commit import GroupCommitter
from assay.store.ledger import Ledger
from assay.store.migrate import SchemaState, schema_state, upgrade

__all__ = [
    "ChainHead",
    "Database",
    "Ledger",
    "LedgerEntry",
    "SchemaState",
    "Store",
    "VerificationResult",
    "open_existing_store",
    "open_store",
]


@dataclass
class Store:
    """An open, migrated database and the services that live in it."""

    database: Database
    schema: SchemaState
    ledger: Ledger = field(init=False)
    events: EventStore = field(init=False)
    alerts: AlertStore = field(init=False)
    together: GroupCommitter = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.database)
        self.events = EventStore(self.database)
        self.alerts = AlertStore(self.database)
        # Audit runs stored by concurrent requests share transactions and commits. On
        # PostgreSQL a batch runs while the one before commits; SQLite's write lock would
        # only make the second wait at its BEGIN.
        overlap = 2 if self.database.dialect == "postgresql" else 1
        self.together = GroupCommitter(self.database, deferring=self.deferring, overlap=overlap)

    @contextmanager
    def deferring(self, conn: Connection) -> Iterator[None]:
        """Inside the block, ledger appends and event inserts through ``conn`` are kept and
        written together at its end (:meth:`Ledger.deferring`, :meth:`EventStore.deferring`):
        the events first, before the ledger's entries take the chain's head lock. The block
        must end where ``conn``'s transaction is committed (as the group committer's does): on
        PostgreSQL the ledger's write goes with the COMMIT."""
        with self.ledger.deferring(conn, ends_transaction=True), self.events.deferring(conn):
            yield

    def close(self) -> None:
        """Release the database connections."""
        self.database.dispose()


def open_store(choice: DatabaseChoice) -> Store:
    """Open the chosen database and migrate it to this assay's schema (idempotent).

    Raises the :mod:`assay.errors` for an unusable URL, directory or server, or a database from
    a newer assay; nothing stored is changed in those cases.
    """
    database = connect(choice)
    try:
        schema = upgrade(database)
    except BaseException:
        database.dispose()
        raise
    return Store(database, schema)


_NO_STORE_EXPECTED = (
    "a store that assay has written (a command that records, such as assay audit run, creates "
    "it; so does assay db upgrade)"
)


def open_existing_store(choice: DatabaseChoice) -> Store:
    """Open a store that exists already, to read it: nothing is created, migrated or written.

    Raises :class:`DatabaseUnavailableError` ("no store at …") when the SQLite file does not
    exist or the database holds no assay schema, and :class:`SchemaVersionError` when its schema
    is older or newer than this assay's (``assay db upgrade`` brings an older one up).
    """
    path = _sqlite_file(choice.url)
    if path is not None and not path.is_file():
        raise DatabaseUnavailableError(
            f"no store at {path}", source=choice.origin, expected=_NO_STORE_EXPECTED
        )
    database = connect(choice)
    try:
        state = schema_state(database)
        if state.current is None:
            raise DatabaseUnavailableError(
                f"no store at {database.display_url} (it holds no assay schema)",
                source=choice.origin,
                expected=_NO_STORE_EXPECTED,
            )
        if not state.up_to_date:
            raise SchemaVersionError(
                f"the store at {database.display_url} has schema revision {state.current}; this"
                f" assay reads revision {state.head}",
                source=choice.origin,
                expected="the store upgraded first: assay db upgrade",
            )
    except BaseException:
        database.dispose()
        raise
    return Store(database, state)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory ones)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # connect() reports it
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()

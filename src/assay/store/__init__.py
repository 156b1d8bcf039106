"""Persistence: the database, its migrations and the evidence ledger.

Typical use::

    from assay.store import open_store

    store = open_store(choose_database(None))
    entry = store.ledger.append("measurement.result", {"metric": "accuracy", "value": 0.91})
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assay.config import DatabaseChoice
from assay.store.chain import ChainHead, LedgerEntry, VerificationResult
from assay.store.database import Database, connect
from assay.store.ledger import Ledger
from assay.store.migrate import SchemaState, upgrade

__all__ = [
    "ChainHead",
    "Database",
    "Ledger",
    "LedgerEntry",
    "SchemaState",
    "Store",
    "VerificationResult",
    "open_store",
]


@dataclass
class Store:
    """An open, migrated database and the services that live in it."""

    database: Database
    schema: SchemaState
    ledger: Ledger = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.database)

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

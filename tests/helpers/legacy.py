"""Entries as assay wrote them before format 2: the ledger of a store that was filled by an
older assay, for the tests of upgrades and of how old entries are served."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import insert, select, update

from assay.store.canonical import canonical_json
from assay.store.chain import canonical_entry_hash
from assay.store.config import DatabaseChoice
from assay.store.database import Database, connect
from assay.store.migrate import alembic_config
from assay.store.schema import ledger_entries, ledger_head


def append_format_one(
    database: Database, items: Iterable[tuple[str, Mapping[str, Any]]]
) -> list[str]:
    """Append entries of format 1 (payload inside the hash, nothing sealed), as assay 0.5 did,
    with only the columns it had; returns their hashes."""
    hashes = []
    with database.writing() as conn:
        row = conn.execute(select(ledger_head.c.seq, ledger_head.c.hash)).one()
        seq, previous = int(row.seq), str(row.hash)
        for kind, payload in items:
            seq += 1
            ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            text = canonical_json(dict(payload))
            digest = canonical_entry_hash(previous, seq, ts, kind, text)
            conn.execute(
                insert(ledger_entries).values(
                    seq=seq, ts=ts, kind=kind, payload=text, prev_hash=previous, hash=digest
                )
            )
            hashes.append(digest)
            previous = digest
        conn.execute(
            update(ledger_head).where(ledger_head.c.id == 1).values(seq=seq, hash=previous)
        )
    return hashes


def first_schema_ledger(url: str, items: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """A database at the first schema (revision 0001) holding ``items`` as format-1 entries,
    as assay 0.5 left it; returns their hashes."""
    database = connect(DatabaseChoice(url, "test"))
    try:
        config = alembic_config()
        with database.writing() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        return append_format_one(database, items)
    finally:
        database.dispose()

"""Schema migrations: bring a database to this assay's schema, once, safely, from any process.

Upgrades run in one transaction that first takes a lock — the SQLite write lock (``BEGIN
IMMEDIATE``) or a PostgreSQL transaction-level advisory lock — so several processes starting at
once on a fresh database do not race to create the same tables; the second finds the work done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from assay.errors import SchemaVersionError
from assay.store.database import Database

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = ["SCHEMA_HEAD", "SchemaState", "schema_state", "upgrade"]

# The newest migration's revision (a test holds it equal to the migrations' head). A store at
# it is read without alembic, whose import is a tenth of every command's start; alembic is
# loaded only to migrate or to judge another revision.
SCHEMA_HEAD = "0010"
_VERSION_TABLE = "alembic_version"  # alembic's default, which assay's migrations keep

# Arbitrary but fixed: the advisory-lock key that every assay process uses for migrations.
_POSTGRES_MIGRATION_LOCK_KEY = 0x61737361795F6D67  # b"assay_mg"


@dataclass(frozen=True)
class SchemaState:
    """The schema revision a database is at, and the one this assay brings."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        """True when no migration is pending."""
        return self.current == self.head


def alembic_config() -> Config:
    """Alembic's configuration for assay's migrations (no ini file: the scripts are in the
    package)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "assay.store:migrations")
    return config


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def _current_revision(conn: Connection) -> str | None:
    """The revision alembic recorded (None in a database it never migrated)."""
    if not inspect(conn).has_table(_VERSION_TABLE):
        return None
    revision = conn.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalar()
    return None if revision is None else str(revision)


def _check_known(revision: str | None, database: Database, script: ScriptDirectory) -> None:
    from alembic.util.exc import CommandError

    if revision is None:
        return
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise SchemaVersionError(
            f"the database is at schema revision {revision!r}, which this assay does not know: "
            "it was written by a newer assay",
            source=database.display_url,
            expected=f"schema revision {script.get_current_head()} or older (upgrade assay)",
        )


def schema_state(database: Database) -> SchemaState:
    """Read the database's schema revision without changing anything."""
    with database.reading() as conn:
        current = _current_revision(conn)
    if current == SCHEMA_HEAD:
        return SchemaState(current, SCHEMA_HEAD)
    script = _script()
    _check_known(current, database, script)
    head = script.get_current_head()
    assert head is not None, "assay ships at least one migration"
    return SchemaState(current, head)


def upgrade(database: Database) -> SchemaState:
    """Migrate the database to this assay's schema; a no-op when it is already there.

    Raises :class:`SchemaVersionError` for a database written by a newer assay, without
    touching it.
    """
    state = schema_state(database)
    if state.up_to_date:
        return state
    from alembic import command

    config = alembic_config()
    with database.writing() as conn:
        if database.dialect == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_MIGRATION_LOCK_KEY}
            )
        # Another process may have migrated while this one waited for the lock.
        current = _current_revision(conn)
        _check_known(current, database, _script())
        if current != state.head:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    return SchemaState(state.head, state.head)

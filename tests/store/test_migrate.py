"""Schema revisions: a store at this assay's revision is opened without loading alembic, and
that revision is the migrations' own head."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from alembic.script import ScriptDirectory
from sqlalchemy import text

from assay.store import open_store
from assay.store.config import DatabaseChoice
from assay.store.database import connect
from assay.store.migrate import SCHEMA_HEAD, alembic_config, schema_state


def test_the_known_head_is_the_migrations_head() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_states_of_a_new_a_current_and_an_older_store(database_url: str) -> None:
    database = connect(DatabaseChoice(database_url, "test"))
    try:
        assert schema_state(database).current is None
        open_store(DatabaseChoice(database_url, "test")).close()
        state = schema_state(database)
        assert (state.current, state.head, state.up_to_date) == (SCHEMA_HEAD, SCHEMA_HEAD, True)
        with database.writing() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0008'"))
        older = schema_state(database)
        assert (older.current, older.head, older.up_to_date) == ("0008", SCHEMA_HEAD, False)
    finally:
        database.dispose()


def test_opening_a_current_store_loads_no_alembic(database_url: str) -> None:
    open_store(DatabaseChoice(database_url, "test")).close()
    opened = textwrap.dedent(
        f"""
        import sys
        from assay.store import open_existing_store
        from assay.store.config import DatabaseChoice
        open_existing_store(DatabaseChoice({database_url!r}, "test")).close()
        print(sorted(name for name in sys.modules if name.split(".")[0] == "alembic"))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", opened], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"

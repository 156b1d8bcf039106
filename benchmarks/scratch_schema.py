"""A PostgreSQL schema made for one benchmark run and dropped after it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

__all__ = ["scratch_schema"]


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A URL of a new, empty schema in the database ``url`` names (dropped on leaving)."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    base = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

"""Test databases: a fresh schema in the PostgreSQL named by ``ASSAY_TEST_POSTGRES_URL``."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

POSTGRES_URL = os.environ.get("ASSAY_TEST_POSTGRES_URL")


def postgres_schema_url(schema: str) -> str:
    """The test PostgreSQL URL with ``search_path`` set to ``schema``."""
    assert POSTGRES_URL
    url = _postgres_base().update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _postgres_base() -> URL:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")


class postgres_schema:  # used like a function, as a context manager
    """Create a uniquely named schema in the test PostgreSQL; drop it afterwards."""

    def __enter__(self) -> str:
        assert POSTGRES_URL
        self.schema = f"assay_test_{uuid.uuid4().hex[:12]}"
        self.engine = create_engine(_postgres_base())
        with self.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        return postgres_schema_url(self.schema)

    def __exit__(self, *_: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        self.engine.dispose()

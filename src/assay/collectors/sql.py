"""``sql``: a scalar from a database query, in a read-only transaction with a timeout."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, model_validator
from sqlalchemy import create_engine, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from assay.collectors.base import CollectContext, CollectionError, Parameters
from assay.collectors.confinement import Confinement

__all__ = ["SqlCollector", "SqlParameters"]

DEFAULT_URL_VARIABLE = "ASSAY_SQL_URL"


class SqlParameters(Parameters):
    """``query`` returning one value (the first column of the first row); the database URL
    from the environment variable ``url_env`` (default ASSAY_SQL_URL), or ``url`` for one
    without a password (a SQLite path is relative to the spec); ``timeout`` seconds."""

    query: str = Field(min_length=1)
    url_env: str = DEFAULT_URL_VARIABLE
    url: str | None = None
    timeout: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _no_password_in_the_spec(self) -> SqlParameters:
        if self.url is not None:
            try:
                parsed = make_url(self.url)
            except ArgumentError:
                raise ValueError(f"{self.url!r} is not a database URL") from None
            if parsed.password:
                raise ValueError("a password does not belong in the spec: use url_env")
        return self


class SqlCollector:
    """Runs a read-only query on SQLite or PostgreSQL."""

    kind: ClassVar[str] = "sql"
    parameters: ClassVar[type[Parameters]] = SqlParameters

    def collect(self, parameters: SqlParameters, context: CollectContext) -> Any:
        """The query's first value; no row, a database error, a write attempt or the timeout is
        a :class:`CollectionError` (the URL, which may hold a password, is never shown)."""
        what = self.describe(parameters)
        if context.confinement is not None:
            context.confined(
                self.confinement_problem(parameters, context.confinement, context.environ)
            )
        url = _url(parameters, context)
        engine = create_engine(url, poolclass=NullPool)
        deadline = time.monotonic() + parameters.timeout
        try:
            with engine.connect() as conn:
                if url.get_backend_name() == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    milliseconds = int(parameters.timeout * 1000)
                    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")
                else:
                    raw = conn.connection.dbapi_connection
                    assert isinstance(raw, sqlite3.Connection)
                    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
                    conn.exec_driver_sql("PRAGMA query_only = ON")
                row = conn.exec_driver_sql(parameters.query).first()
                conn.rollback()
        except SQLAlchemyError as error:
            original = getattr(error, "orig", None) or error
            first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
            if time.monotonic() > deadline:
                first_line = f"timed out after {parameters.timeout:g} s"
            raise CollectionError(f"{what} failed: {first_line}") from None
        finally:
            engine.dispose()
        if row is None:
            raise CollectionError(f"{what} returned no rows")
        return row[0]

    def confinement_problem(
        self, parameters: SqlParameters, confinement: Confinement, environ: Mapping[str, str]
    ) -> str | None:
        """A database the server's administrator did not allow."""
        return confinement.database_problem(parameters.url, parameters.url_env)

    def describe(self, parameters: SqlParameters) -> str:
        """``sql:QUERY`` (never the URL)."""
        return f"sql:{' '.join(parameters.query.split())}"


def _url(parameters: SqlParameters, context: CollectContext) -> URL:
    # A confined spec reads an allowed database's URL from the server's own environment,
    # never through the variables that ${VAR} may expand (which could carry it elsewhere).
    environ = os.environ if context.confinement is not None else context.environ
    if parameters.url is not None:
        text = parameters.url
    elif parameters.url_env in environ:
        text = environ[parameters.url_env]
    else:
        raise CollectionError(f"the environment variable {parameters.url_env} is not set")
    try:
        url = make_url(text)
    except ArgumentError:
        raise CollectionError(f"the database URL in {parameters.url_env} is malformed") from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise CollectionError(f"read-only queries run on sqlite and postgresql, not {backend}")
    if backend == "sqlite" and url.database and url.database != ":memory:":
        # A URL from the environment is the administrator's: it may point anywhere.
        path = context.base_dir / Path(url.database)
        if not path.is_file():
            raise CollectionError(f"no such SQLite database: {path}")
        url = url.set(database=str(path))
    return url

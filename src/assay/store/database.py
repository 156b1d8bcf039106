"""Opening the database: URL checks, engine settings per dialect, and clear errors for users.

SQLite connections are put in driver autocommit mode and assay emits ``BEGIN`` itself (the
recipe in SQLAlchemy's pysqlite documentation), so that DDL is transactional and a writer can
ask for ``BEGIN IMMEDIATE``: it takes the database's write lock before reading anything, which
is what serializes ledger appends across processes on SQLite.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import StaticPool

from assay.errors import ConfigurationError, DatabaseUnavailableError
from assay.store.config import DatabaseChoice

__all__ = ["Database", "connect"]

URL_EXPECTATION = (
    "an SQLAlchemy database URL such as sqlite:////path/to/assay.db or "
    "postgresql+psycopg://user@host:5432/dbname"
)
SQLITE_BUSY_TIMEOUT_SECONDS = 60.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
POSTGRES_POOL_SIZE = 20  # connections kept open per process
POSTGRES_POOL_OVERFLOW = 20  # opened beyond those at busy moments, closed when returned
_BEGIN_MODE_OPTION = "assay_sqlite_begin"


@dataclass
class Database:
    """An open database: the engine and a password-free name for messages."""

    engine: Engine
    display_url: str

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql`` (or another SQLAlchemy dialect name)."""
        return self.engine.dialect.name

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction that holds the database's write lock from its start (SQLite) and is
        committed when the block ends without an exception, rolled back otherwise."""
        with self._connection() as conn:
            conn.execution_options(**{_BEGIN_MODE_OPTION: "IMMEDIATE"})
            with conn.begin():
                yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads; each statement sees what was committed when it started.
        On PostgreSQL the statements run without a transaction around them (autocommit):
        a READ COMMITTED transaction gives each statement its own snapshot anyway, and its
        BEGIN and ROLLBACK cost two round trips. Reads that must agree use :meth:`snapshot`."""
        with self._connection() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A pooled connection whose database errors become :class:`DatabaseUnavailableError`."""
        with self.translate_errors(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that sees one consistent state of the database throughout."""
        with self._connection() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def translate_errors(self) -> Iterator[None]:
        """Turn a driver's operational error (server gone, file read-only, disk full) into one
        message naming the database."""
        try:
            yield
        except OperationalError as error:
            raise DatabaseUnavailableError(
                _driver_message(error), source=self.display_url
            ) from error

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def connect(choice: DatabaseChoice) -> Database:
    """Open the chosen database and check that it answers; no schema work is done here.

    Raises :class:`DatabaseUnavailableError` for a malformed URL, an unknown driver, a missing
    or unwritable directory, or a server that does not answer, and
    :class:`ConfigurationError` when the default data directory cannot be created.
    """
    url = _parse(choice)
    display = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        _prepare_sqlite_location(url, choice)
    try:
        engine = create_engine(url, **_engine_options(url))
    except (NoSuchModuleError, ImportError) as error:
        raise DatabaseUnavailableError(
            f"no database driver for {url.drivername!r} ({error})",
            source=choice.origin,
            expected="sqlite or postgresql+psycopg",
        ) from error
    except (ArgumentError, TypeError, ValueError) as error:
        raise DatabaseUnavailableError(
            f"malformed database URL ({error})", source=choice.origin, expected=URL_EXPECTATION
        ) from error
    if url.get_backend_name() == "sqlite":
        _install_sqlite_transaction_control(engine, url)
    database = Database(engine, display)
    try:
        with database.reading() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DatabaseUnavailableError as error:
        engine.dispose()
        raise DatabaseUnavailableError(
            f"cannot open the database: {error.problem}",
            source=display,
            expected="a reachable database server or a writable SQLite file",
        ) from error
    except DBAPIError as error:
        engine.dispose()
        raise DatabaseUnavailableError(
            f"cannot open the database: {_driver_message(error)}", source=display
        ) from error
    return database


def _parse(choice: DatabaseChoice) -> URL:
    try:
        url = make_url(choice.url)
    except ArgumentError as error:
        raise DatabaseUnavailableError(
            f"malformed database URL {choice.url!r}", source=choice.origin, expected=URL_EXPECTATION
        ) from error
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgres", "postgresql") and not driver:
        # Plain postgresql:// would pick psycopg2, which assay does not ship; psycopg 3 it is.
        url = url.set(drivername="postgresql+psycopg")
    return url


def _prepare_sqlite_location(url: URL, choice: DatabaseChoice) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    if choice.default_home is not None:
        try:
            choice.default_home.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigurationError(
                f"cannot create the data directory {choice.default_home} ({error.strerror})",
                source="ASSAY_HOME",
                expected="a writable directory (set ASSAY_HOME or pass --db)",
            ) from error
    directory = path.parent
    if not directory.is_dir():
        raise DatabaseUnavailableError(
            f"directory {directory} does not exist",
            source=choice.origin,
            expected="the SQLite file in an existing directory",
        )
    if not path.exists() and not os.access(directory, os.W_OK | os.X_OK):
        raise DatabaseUnavailableError(
            f"directory {directory} is not writable, so {path.name} cannot be created",
            source=choice.origin,
            expected="a writable directory",
        )


def _engine_options(url: URL) -> dict[str, Any]:
    if url.get_backend_name() == "sqlite":
        options: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}}
        if (url.database or ":memory:") == ":memory:":
            options["poolclass"] = StaticPool
            options["connect_args"]["check_same_thread"] = False
        return options
    if url.get_backend_name() == "postgresql":
        # Kept open: a server process answers up to 40 requests at once (its thread pool), and
        # each connection PostgreSQL opens is a process it starts. SQLAlchemy's default keeps
        # 5 and closes the rest when they come back: under the 32-client load test 2.7% of
        # the busiest worker's samples opened or closed connections (0.14% with these).
        options = {"pool_size": POSTGRES_POOL_SIZE, "max_overflow": POSTGRES_POOL_OVERFLOW}
        if "connect_timeout" not in url.query:
            options["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
        return options
    return {}


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL unless it is already. Asking to switch while another process
    writes can fail at once with "database is locked" (the busy timeout does not cover it), so
    the mode is read first, and a switch that meets a lock is retried until the busy timeout."""
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _install_sqlite_transaction_control(engine: Engine, url: URL) -> None:
    is_file = (url.database or ":memory:") != ":memory:"
    read_only = "mode=ro" in (url.database or "") or url.query.get("mode") == "ro"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if is_file and not read_only:
                # WAL lets readers proceed while one writer appends; FULL syncs every commit,
                # so an acknowledged append survives a crash of the machine, not only of assay.
                _use_wal(cursor)
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_MODE_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _driver_message(error: DBAPIError) -> str:
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__

"""Shared fixtures: real databases (a SQLite file always; PostgreSQL when
``ASSAY_TEST_POSTGRES_URL`` is set) and an isolated ``ASSAY_HOME``."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.databases import POSTGRES_URL, postgres_schema

# pyspark's Spark Connect package ends the process (exit 0) when it is imported from a __main__
# module that has no __file__: it takes that for its own doctests. An xdist worker's __main__ is
# such a module, and Great Expectations imports Spark Connect when pyspark is installed.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a new SQLite file, or a new schema in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'assay.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("ASSAY_TEST_POSTGRES_URL is not set")
    with postgres_schema() as url:
        yield url


@pytest.fixture(autouse=True, scope="session")
def _data_home_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """assay's default data directory (the server's signing key, the default database) under a
    temporary directory, never the user's own, for tests that set no ``ASSAY_HOME``."""
    before = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if before is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = before


@pytest.fixture
def assay_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``ASSAY_HOME`` for this test, with no database URL in the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("ASSAY_HOME", str(home))
    monkeypatch.delenv("ASSAY_DATABASE_URL", raising=False)
    return home

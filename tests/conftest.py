"""Shared fixtures: real databases (a SQLite file always; PostgreSQL when
``ASSAY_TEST_POSTGRES_URL`` is set) and an isolated ``ASSAY_HOME``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.databases import POSTGRES_URL, postgres_schema

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


@pytest.fixture
def assay_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``ASSAY_HOME`` for this test, with no database URL in the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("ASSAY_HOME", str(home))
    monkeypatch.delenv("ASSAY_DATABASE_URL", raising=False)
    return home

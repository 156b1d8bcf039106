"""What the store tests share: an open, migrated store on the database under test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assay.store import Store, open_store
from assay.store.config import DatabaseChoice


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """An open store on the parametrized database, closed afterwards."""
    opened = open_store(DatabaseChoice(database_url, "test"))
    yield opened
    opened.close()

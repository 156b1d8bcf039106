"""Many rows in one statement, on the real databases: what is read back is what was given."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.exc import DataError

from assay.store import Store, open_store
from assay.store.bulk import insert_rows
from assay.store.config import DatabaseChoice

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)

probe = Table(
    "bulk_probe",
    MetaData(),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("small", SmallInteger, nullable=False),
    Column("name", String(50), nullable=True),
    Column("body", Text, nullable=False),
    Column("digest", LargeBinary(32), nullable=False),
)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(DatabaseChoice(database_url, "test"))
    probe.create(opened.database.engine)
    yield opened
    probe.drop(opened.database.engine)
    opened.close()


def test_rows_come_back_as_given(store: Store) -> None:
    rows = [
        {
            "id": 2**40 + number,
            "small": number % 7 - 3,
            "name": None if number % 5 == 0 else f"n{number} 'quoted' \"double\" \\ ünï",
            "body": '{"a": [1, 2], "b": "line\\nbreak"}' * (number % 3),
            "digest": bytes([number % 256]) * 32,
        }
        for number in range(300)
    ]
    with store.database.writing() as conn:
        insert_rows(conn, probe, rows)
        insert_rows(conn, probe, [])
    with store.database.reading() as conn:
        stored = [dict(row._mapping) for row in conn.execute(select(probe).order_by(probe.c.id))]
    assert [{**row, "digest": bytes(row["digest"])} for row in stored] == rows


def test_a_value_longer_than_its_column_is_refused_not_cut(store: Store, database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite does not hold a VARCHAR to its length")
    row = {"id": 1, "small": 0, "name": "n" * 51, "body": "", "digest": bytes(32)}
    with pytest.raises(DataError, match="too long"), store.database.writing() as conn:
        insert_rows(conn, probe, [row])
    with store.database.reading() as conn:
        assert conn.execute(select(probe)).all() == []

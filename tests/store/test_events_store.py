"""Storing events on the real databases: a few rows (one statement) and many (PostgreSQL's
COPY path) keep the same rule — a (source, id) already stored, or repeated in the batch, is
left out and not counted — and a batch that fails leaves nothing behind."""

from __future__ import annotations

import pytest

from assay.errors import DatabaseUnavailableError
from assay.integrations.errors import translate
from assay.store import Store
from assay.store.events import EventRow

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


def _row(number: int, body: str = "") -> EventRow:
    text = body or f'{{"id":"{number}","note":"tab\\there, quote \\" and back\\\\slash"}}'
    return EventRow(
        "test", str(number), "deployment", 1_700_000_000.5 + number, "svc", None, "m", text
    )


@pytest.mark.parametrize("size", [3, 64, 65, 500])
def test_new_rows_are_counted_and_repeats_left_out(store: Store, size: int) -> None:
    with store.database.writing() as conn:
        assert store.events.insert_in(conn, [_row(0)]) == 1
    batch = [_row(n) for n in range(size)] + [_row(1, body='{"id":"1","later":true}')]
    with store.database.writing() as conn:
        stored = store.events.insert_in(conn, batch)
    assert stored == size - 1, "row 0 was stored before, row 1 is repeated in the batch"
    assert store.events.counts() == {"deployment": size}
    kept = {row.id: row for row in store.events.listed(limit=1000)}
    assert kept["1"].body == _row(1).body, "the first of repeats wins"
    assert kept[str(size - 1)].body == _row(size - 1).body, "special characters kept as sent"
    assert kept["2"].time == _row(2).time


def test_a_failed_batch_leaves_nothing(store: Store) -> None:
    def store_then_fail() -> None:
        with store.database.writing() as conn:
            store.events.insert_in(conn, [_row(n) for n in range(5)])
            raise RuntimeError("the run that stores them fails")

    with pytest.raises(RuntimeError):
        store_then_fail()
    assert store.events.counts() == {}


@pytest.mark.parametrize("size", [3, 500])
def test_a_lock_timeout_under_a_driver_insert_is_the_database_unavailable(
    store: Store, size: int
) -> None:
    """On PostgreSQL the rows go past SQLAlchemy (one statement of arrays, or COPY). A
    database error there that SQLAlchemy would call operational (here the lock timeout an
    operator may set) is told as the database being unavailable, the server's 503 and the
    command line's exit code, not as an internal error; nothing is stored."""
    if store.database.dialect != "postgresql":
        pytest.skip("the driver's own statements are PostgreSQL's")
    caught: BaseException | None = None
    with store.database.writing() as holder:
        holder.exec_driver_sql("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        try:
            with store.database.writing() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
                store.events.insert_in(conn, [_row(n) for n in range(size)])
        except Exception as error:
            caught = error
    assert caught is not None, "the insert went through a table locked by another transaction"
    assert isinstance(translate(caught), DatabaseUnavailableError), repr(caught)
    assert store.events.counts() == {}

"""The ledger in a real database: appends, read-back, and tampering with the stored rows."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, inspect

from assay.errors import InvalidInputError
from assay.store import Store, open_store
from assay.store.chain import GENESIS_HASH, ProblemCode
from assay.store.config import DatabaseChoice
from tests.helpers.legacy import first_schema_ledger


@pytest.fixture
def raw(database_url: str) -> Iterator[Engine]:
    """A plain engine on the same database, for editing rows behind assay's back."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def fill(store: Store, count: int) -> None:
    store.ledger.append_many(
        [("test.entry", {"n": n, "value": n / 10, "tags": ["a", "é"]}) for n in range(1, count + 1)]
    )


def test_appends_are_numbered_linked_and_hashed(store: Store) -> None:
    first = store.ledger.append("measurement.result", {"metric": "accuracy", "value": 0.912})
    second = store.ledger.append("evaluation.outcome", {"outcome": "pass"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert store.ledger.head().seq == 2
    assert store.ledger.count() == 2
    assert [e.hash for e in store.ledger.entries()] == [first.hash, second.hash]


def test_payload_numbers_come_back_exactly(store: Store) -> None:
    values = [0.1 + 0.2, 1e300, 5e-324, -0.0, 1.0, 2**63 + 7]
    store.ledger.append("test.numbers", {"values": values})
    (entry,) = store.ledger.entries()
    assert entry.payload is not None
    back = entry.payload["values"]
    assert isinstance(back, list)
    for original, stored in zip(values, back, strict=True):
        assert type(original) is type(stored)
        if isinstance(original, float):
            assert isinstance(stored, float)
            assert struct.pack(">d", stored) == struct.pack(">d", original)
        else:
            assert stored == original
    assert store.ledger.verify().ok


def test_a_batch_with_one_bad_payload_stores_nothing(store: Store) -> None:
    store.ledger.append("test.entry", {"n": 0})
    with pytest.raises(InvalidInputError, match=r"\$\.value: nan is not a finite number"):
        store.ledger.append_many(
            [("test.entry", {"n": 1}), ("test.entry", {"value": float("nan")})]
        )
    assert store.ledger.count() == 1
    assert store.ledger.head().seq == 1


@pytest.mark.parametrize("kind", ["", "Upper.case", "spaces here", "trailing.", "x" * 201])
def test_bad_kinds_are_refused(store: Store, kind: str) -> None:
    with pytest.raises(InvalidInputError, match="kind"):
        store.ledger.append(kind, {})
    assert store.ledger.count() == 0


def test_entries_can_be_filtered_and_paged(store: Store) -> None:
    fill(store, 2500)  # more than one read batch
    assert [e.seq for e in store.ledger.entries(since=2498)] == [2498, 2499, 2500]
    assert len(list(store.ledger.entries(limit=1200))) == 1200
    store.ledger.append("other.kind", {})
    assert [e.seq for e in store.ledger.entries(kind="other.kind")] == [2501]
    result = store.ledger.verify()
    assert result.ok
    assert result.entries == 2501


def test_reopening_the_store_is_idempotent(store: Store, database_url: str) -> None:
    fill(store, 3)
    again = open_store(DatabaseChoice(database_url, "test"))
    try:
        assert again.schema.up_to_date
        assert again.ledger.count() == 3
        assert again.ledger.verify().ok
    finally:
        again.close()


# Each tampering: SQL run directly on the rows of a 10-entry ledger, and the entry and problem
# that verify must name.
TAMPERING = {
    "payload edited": (
        [
            "UPDATE ledger_entries SET payload = REPLACE(payload, '\"n\":4,', '\"n\":40,')"
            " WHERE seq = 4"
        ],
        4,
        ProblemCode.HASH_MISMATCH,
    ),
    "payload not JSON": (
        ["UPDATE ledger_entries SET payload = '{broken' WHERE seq = 6"],
        6,
        ProblemCode.MALFORMED,
    ),
    "kind edited": (
        ["UPDATE ledger_entries SET kind = 'test.other' WHERE seq = 2"],
        2,
        ProblemCode.HASH_MISMATCH,
    ),
    "timestamp edited": (
        ["UPDATE ledger_entries SET ts = '2020-01-01T00:00:00.000000Z' WHERE seq = 9"],
        9,
        ProblemCode.HASH_MISMATCH,
    ),
    "entry deleted": (["DELETE FROM ledger_entries WHERE seq = 5"], 5, ProblemCode.MISSING_ENTRY),
    "first entry deleted": (
        ["DELETE FROM ledger_entries WHERE seq = 1"],
        1,
        ProblemCode.MISSING_ENTRY,
    ),
    "last entries deleted": (
        ["DELETE FROM ledger_entries WHERE seq >= 9"],
        9,
        ProblemCode.TRUNCATED,
    ),
    "two entries swapped": (
        [
            "UPDATE ledger_entries SET seq = -1 WHERE seq = 3",
            "UPDATE ledger_entries SET seq = 3 WHERE seq = 7",
            "UPDATE ledger_entries SET seq = 7 WHERE seq = -1",
        ],
        3,
        ProblemCode.LINK_MISMATCH,  # entry 3 now carries entry 7's link
    ),
    "hash rewritten": (
        [f"UPDATE ledger_entries SET hash = '{'ab' * 32}' WHERE seq = 8"],
        8,
        ProblemCode.HASH_MISMATCH,
    ),
    "prev_hash rewritten": (
        [f"UPDATE ledger_entries SET prev_hash = '{'cd' * 32}' WHERE seq = 6"],
        6,
        ProblemCode.LINK_MISMATCH,
    ),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_with_rows_is_found_at_the_right_entry(
    store: Store, raw: Engine, name: str
) -> None:
    fill(store, 10)
    assert store.ledger.verify().ok
    statements, seq, code = TAMPERING[name]
    with raw.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    result = store.ledger.verify()
    assert result.problem is not None, name
    assert (result.problem.seq, result.problem.code) == (seq, code)
    assert result.entries == seq - 1


class _Abort(Exception):
    pass


def test_entries_appended_in_a_callers_transaction_roll_back_with_it(store: Store) -> None:
    store.ledger.append("test.entry", {"n": 0})
    appended = []

    def append_then_fail() -> None:
        with store.database.writing() as conn:
            appended.extend(
                store.ledger.append_in(conn, [("test.entry", {"n": 1}), ("test.entry", {"n": 2})])
            )
            raise _Abort

    with pytest.raises(_Abort):
        append_then_fail()
    assert [e.seq for e in appended] == [2, 3]
    assert store.ledger.count() == 1
    assert store.ledger.head().seq == 1
    with store.database.writing() as conn:
        (entry,) = store.ledger.append_in(conn, [("test.entry", {"n": 1})])
    assert entry.seq == 2
    assert store.ledger.verify().ok


def test_a_database_of_the_first_schema_upgrades_with_its_entries(database_url: str) -> None:
    early = first_schema_ledger(
        database_url, [("maturity.round", {"n": 1}), ("audit.run", {"n": 2})]
    )
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        assert store.schema.current == "0010"
        assert [entry.hash for entry in store.ledger.entries()] == early
        assert [entry.seq for entry in store.ledger.entries(kind="audit.run")] == [2]
        later = store.ledger.append("audit.run", {"n": 3})
        assert later.payload_hash is not None
        assert [entry.payload_hash is None for entry in store.ledger.entries()] == [
            True,
            True,
            False,
        ]
        assert store.ledger.verify().ok
        with store.database.reading() as conn:
            indexes = {index["name"] for index in inspect(conn).get_indexes("ledger_entries")}
        assert "ix_ledger_entries_kind_seq" in indexes
    finally:
        store.close()


def test_entries_read_newest_first_across_batches(store: Store) -> None:
    store.ledger.append_many(
        (("audit.run" if i % 3 else "other.kind"), {"i": i}) for i in range(2600)
    )
    with store.database.snapshot() as conn:
        backwards = [
            e.seq for e in store.ledger.entries_in(conn, kind="audit.run", newest_first=True)
        ]
        forwards = [e.seq for e in store.ledger.entries_in(conn, kind="audit.run")]
        everything = [e.seq for e in store.ledger.entries_in(conn, newest_first=True)]
    assert backwards == forwards[::-1]
    assert len(forwards) == 1733
    assert everything == list(range(2600, 0, -1))


def test_committed_entries_are_read_once_and_never_uncommitted(store: Store) -> None:
    from sqlalchemy import event

    fill(store, 3)
    statements: list[str] = []

    def count(*arguments: object) -> None:
        statements.append(str(arguments[2]))

    event.listen(store.database.engine, "before_cursor_execute", count)
    try:
        first = store.ledger.committed_entries([3, 1, 99])
        assert [entry.seq for entry in first] == [1, 3], "in order, the missing one left out"
        assert first == list(store.ledger.entries(since=1))[0:3:2]
        read = len(statements)
        assert read >= 1
        again = store.ledger.committed_entries([1, 3])
        assert again == first
        assert len(statements) == read, "kept: no second read"
        unseen: list[object] = []

        def append_then_fail() -> None:
            with store.database.writing() as conn:
                store.ledger.append_in(conn, [("test.entry", {"n": 4})])
                unseen.extend(store.ledger.committed_entries([4]))
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            append_then_fail()
        assert unseen == [], "not committed: not seen"
        store.ledger.append("test.entry", {"n": "four"})
        (fourth,) = store.ledger.committed_entries([4])
        assert fourth.payload == {"n": "four"}, "the rolled-back entry was never kept"
    finally:
        event.remove(store.database.engine, "before_cursor_execute", count)

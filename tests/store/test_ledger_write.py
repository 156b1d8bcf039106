"""An append's writes on the real databases: on PostgreSQL one call of the database's
function stores the entries, their disclosures, the tree's new nodes, the index and the head;
what it stores is what the chain, the tree, the seals and the index read back, with and
without each kind of row."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from assay.store import Store, ledger_index
from assay.store.audit_log import STATUS
from assay.store.chain import open_payload
from assay.store.ledger import Item, Record
from tests.helpers.ledger_checks import assert_whole
from tests.helpers.wire import client_messages, wire

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)

_STATUS = ("audit.status", {"spec": "s", "target": "t", "status": "conformant"})
_SEALED = Record("test.secret", {"name": "m", "value": 0.875}, sealed=[("value",)])
_PLAIN = ("test.entry", {"n": 1})


def _writes(store: Store, items: list[Item]) -> list[str]:
    """The statements that change the database while ``items`` are appended."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "WITH")):
            statements.append(statement)

    event.listen(store.database.engine, "before_cursor_execute", seen)
    try:
        store.ledger.append_many(items)
    finally:
        event.remove(store.database.engine, "before_cursor_execute", seen)
    return statements


def test_an_append_is_one_call_on_postgresql(store: Store) -> None:
    store.ledger.append("test.entry", {"n": 0})  # the tree's first nodes
    if store.database.dialect == "postgresql":  # the database writes it all (migration 0010)
        with wire(store.database) as sent_so_far:
            store.ledger.append_many([_STATUS, _SEALED, _PLAIN])
            sent = sent_so_far()
        client = client_messages(sent)
        assert sum("assay_ledger_append" in line for line in client) == 1, sent
        assert not any("INSERT" in line or "UPDATE" in line for line in client), sent
    else:  # one statement per table
        assert len(_writes(store, [_STATUS, _SEALED, _PLAIN])) == 5
    assert_whole(store)


@pytest.mark.parametrize(
    "items",
    [[_PLAIN], [_SEALED], [_STATUS], [_STATUS, _SEALED, _PLAIN], [_SEALED, _SEALED, _STATUS]],
    ids=["plain", "sealed", "indexed", "all", "two-sealed"],
)
def test_what_an_append_stores_reads_back(store: Store, items: list[Item]) -> None:
    for _ in range(3):  # from a tree of 0, 5 and 10 leaves: different frontiers
        appended = store.ledger.append_many(items)
        appended += store.ledger.append_many([_PLAIN, _PLAIN])
        stored = {entry.seq: entry for entry in store.ledger.entries()}
        for entry, item in zip(appended, [*items, _PLAIN, _PLAIN], strict=True):
            record = item if isinstance(item, Record) else Record(*item)
            read = stored[entry.seq]
            assert read.payload is not None
            assert (read.kind, read.hash) == (record.kind, entry.hash)
            assert open_payload(read.payload, read.disclosed) == dict(record.payload)
            assert len(read.disclosed) == len(record.sealed)
    statuses = [entry.seq for entry in store.ledger.entries() if entry.kind == STATUS]
    with store.database.reading() as conn:
        latest = ledger_index.latest_of(conn, [(STATUS, ledger_index.pair_key("s", "t"))])
    assert list(latest.values()) == statuses[-1:]
    assert_whole(store)

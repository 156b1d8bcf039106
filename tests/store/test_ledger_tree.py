"""The Merkle tree stored beside the ledger, in real SQLite and PostgreSQL databases: after
appends of every batch size, roots and proofs read from the stored nodes equal RFC 9162's,
computed here from the entry hashes; a rolled-back append leaves no node; a ledger written
before the tree existed gets its tree when the store is upgraded."""

from __future__ import annotations

import hashlib
import random

import pytest
from alembic import command
from sqlalchemy import func, select

from assay.services import transparency
from assay.store import Store, open_store
from assay.store.config import DatabaseChoice
from assay.store.database import connect
from assay.store.migrate import alembic_config
from assay.store.schema import ledger_tree
from tests.helpers.legacy import append_format_one
from tests.store.test_merkle import rfc_mth, rfc_verify_consistency, rfc_verify_inclusion


def _leaves(store: Store) -> list[bytes]:
    return [
        hashlib.sha256(b"\x00" + bytes.fromhex(entry.hash)).digest()
        for entry in store.ledger.entries()
    ]


def _check_every_size(store: Store, leaves: list[bytes], rng: random.Random) -> None:
    for size in range(1, len(leaves) + 1):
        root = rfc_mth(leaves[:size])
        seq = rng.randint(1, size)
        proof = transparency.prove(store, seq, size)
        assert bytes.fromhex(proof["root"]) == root
        assert rfc_verify_inclusion(
            leaves[seq - 1], seq - 1, size, [bytes.fromhex(n) for n in proof["proof"]], root
        ), (seq, size)
        old = rng.randint(1, size)
        consistency = transparency.consistency(store, old, size)
        assert rfc_verify_consistency(
            old,
            size,
            [bytes.fromhex(n) for n in consistency["proof"]],
            rfc_mth(leaves[:old]),
            root,
        ), (old, size)


def test_stored_tree_gives_the_rfc_roots_and_proofs_after_batches_of_every_size(
    store: Store,
) -> None:
    rng = random.Random(9162)
    total = 0
    for batch in (1, 1, 2, 3, 5, 8, 13, 1, 30, 1):
        store.ledger.append_many([("test.entry", {"n": total + i}) for i in range(batch)])
        total += batch
    leaves = _leaves(store)
    assert len(leaves) == total == 65
    _check_every_size(store, leaves, rng)
    checkpoint = transparency.checkpoint(store)
    assert (checkpoint.size, checkpoint.root) == (65, rfc_mth(leaves))
    with store.database.reading() as conn:
        rows = conn.execute(select(func.count()).select_from(ledger_tree)).scalar_one()
    assert rows == 2 * 65 - bin(65).count("1")  # each leaf plus every completed pair


def test_a_rolled_back_append_leaves_no_node(store: Store) -> None:
    store.ledger.append_many([("test.entry", {"n": n}) for n in range(3)])

    def append_then_fail() -> None:
        with store.database.writing() as conn:
            store.ledger.append_in(conn, [("test.entry", {"n": 3})])
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        append_then_fail()
    store.ledger.append("test.entry", {"n": 4})
    leaves = _leaves(store)
    assert transparency.checkpoint(store).root == rfc_mth(leaves)
    _check_every_size(store, leaves, random.Random(1))


def test_an_older_ledger_gets_its_tree_on_upgrade(database_url: str) -> None:
    database = connect(DatabaseChoice(database_url, "test"))
    try:
        config = alembic_config()
        with database.writing() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        append_format_one(database, [("maturity.round", {"n": n}) for n in range(5)])
        with database.writing() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0007")
    finally:
        database.dispose()
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        for n in range(6):
            store.ledger.append("audit.run", {"n": n})
        leaves = _leaves(store)
        assert len(leaves) == 11
        _check_every_size(store, leaves, random.Random(7))
    finally:
        store.close()

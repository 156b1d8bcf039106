"""Checks of a whole ledger: the chain and the stored Merkle tree."""

from __future__ import annotations

from assay.store import Store
from assay.store.merkle import leaf_hash, tree_root


def assert_whole(store: Store) -> None:
    """The chain verifies, and the stored Merkle tree is the one its entries' hashes make."""
    assert store.ledger.verify().ok
    leaves = [leaf_hash(bytes.fromhex(entry.hash)) for entry in store.ledger.entries()]
    with store.ledger.tree() as tree:
        assert tree.size == len(leaves)
        assert tree.roots([(0, tree.size)]) == [tree_root(leaves)]

"""The ledger's Merkle tree for readers who check rather than trust: a checkpoint (size and
root, signed as a C2SP note when a key is given), inclusion proofs and consistency proofs.

The tree is computed from the stored entry hashes in order (one SHA-256 per leaf and node per
request); keeping interior nodes so proofs need not rehash the ledger is not done yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from assay.errors import InvalidInputError
from assay.exports.checkpoint import checkpoint_text, signed_note
from assay.files.keys import load_private_key
from assay.store import Store
from assay.store.merkle import consistency_proof, inclusion_proof, leaf_hash, tree_root

__all__ = ["DEFAULT_ORIGIN", "Checkpoint", "checkpoint", "consistency", "prove"]

DEFAULT_ORIGIN = "assay.local/ledger"


def _leaves(store: Store) -> list[bytes]:
    return [leaf_hash(bytes.fromhex(entry.hash)) for entry in store.ledger.entries()]


@dataclass(frozen=True)
class Checkpoint:
    """A tree size, its root, and the note that states them (signed when a key was given)."""

    size: int
    root: bytes
    note: str

    def to_dict(self) -> dict[str, Any]:
        """The checkpoint as JSON."""
        return {"tree_size": self.size, "root": self.root.hex(), "note": self.note}


def checkpoint(
    store: Store, *, origin: str = DEFAULT_ORIGIN, key: Path | None = None
) -> Checkpoint:
    """The current tree size and root as a C2SP checkpoint, signed by ``key`` (Ed25519) if
    given, with the key named ``origin``."""
    leaves = _leaves(store)
    root = tree_root(leaves)
    try:
        text = checkpoint_text(origin, len(leaves), root)
    except ValueError as error:
        raise InvalidInputError(str(error), source="--origin") from None
    if key is None:
        return Checkpoint(len(leaves), root, text)
    private = load_private_key(key)
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return Checkpoint(len(leaves), root, signed_note(text, origin, public, private.sign))


def prove(store: Store, seq: int, size: int | None = None) -> dict[str, Any]:
    """The inclusion proof of entry ``seq`` in the tree of ``size`` entries (default: all)."""
    leaves = _leaves(store)
    size = len(leaves) if size is None else size
    if not 1 <= size <= len(leaves):
        raise InvalidInputError(
            f"the ledger has {len(leaves)} entries",
            source="--tree-size",
            expected=f"1-{len(leaves)}",
        )
    if not 1 <= seq <= size:
        raise InvalidInputError(
            f"no entry {seq} in a tree of {size} entries", source="SEQ", expected=f"1-{size}"
        )
    tree = leaves[:size]
    return {
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": tree[seq - 1].hex(),
        "root": tree_root(tree).hex(),
        "proof": [node.hex() for node in inclusion_proof(tree, seq - 1)],
    }


def consistency(store: Store, old_size: int, new_size: int) -> dict[str, Any]:
    """The consistency proof between the trees of ``old_size`` and ``new_size`` entries."""
    leaves = _leaves(store)
    if not 1 <= old_size <= new_size <= len(leaves):
        raise InvalidInputError(
            f"sizes {old_size} and {new_size} do not fit a ledger of {len(leaves)} entries",
            source="OLD_SIZE NEW_SIZE",
            expected=f"1 <= OLD_SIZE <= NEW_SIZE <= {len(leaves)}",
        )
    tree = leaves[:new_size]
    return {
        "old_size": old_size,
        "new_size": new_size,
        "old_root": tree_root(tree[:old_size]).hex(),
        "new_root": tree_root(tree).hex(),
        "proof": [node.hex() for node in consistency_proof(tree, old_size)],
    }

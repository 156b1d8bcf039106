"""The ledger's Merkle tree for readers who check rather than trust: a checkpoint (size and
root, signed as a C2SP note when a key is given), inclusion proofs and consistency proofs.

Roots and proofs are read from the stored perfect subtrees (:mod:`assay.store.ledger_tree`):
O(log² n) rows per request, whatever the ledger's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assay.errors import InvalidInputError
from assay.exports.checkpoint import checkpoint_text, signed_note
from assay.files.keys import load_private_key, raw_public_key
from assay.store import Store
from assay.store.merkle import consistency_spans, inclusion_spans, tree_root

__all__ = ["DEFAULT_ORIGIN", "Checkpoint", "checkpoint", "consistency", "prove"]

DEFAULT_ORIGIN = "assay.local/ledger"


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
    store: Store,
    *,
    origin: str = DEFAULT_ORIGIN,
    key: Path | Ed25519PrivateKey | None = None,
) -> Checkpoint:
    """The current tree size and root as a C2SP checkpoint, signed by ``key`` (an Ed25519 key
    or its file) if given, with the key named ``origin``."""
    with store.ledger.tree() as tree:
        size = tree.size
        # An empty ledger's root is RFC 9162's root of the empty tree.
        (root,) = tree.roots([(0, size)]) if size else [tree_root([])]
    try:
        text = checkpoint_text(origin, size, root)
    except ValueError as error:
        raise InvalidInputError(str(error), source="--origin") from None
    if key is None:
        return Checkpoint(size, root, text)
    private = load_private_key(key) if isinstance(key, Path) else key
    return Checkpoint(size, root, signed_note(text, origin, raw_public_key(private), private.sign))


def prove(store: Store, seq: int, size: int | None = None) -> dict[str, Any]:
    """The inclusion proof of entry ``seq`` in the tree of ``size`` entries (default: all)."""
    with store.ledger.tree() as tree:
        size = tree.size if size is None else size
        if not 1 <= size <= tree.size:
            raise InvalidInputError(
                f"no tree of {size} entries (the ledger has {tree.size} entries)",
                source="--tree-size",
                expected=f"1-{tree.size}",
            )
        if not 1 <= seq <= size:
            raise InvalidInputError(
                f"no entry {seq} in a tree of {size} entries", source="SEQ", expected=f"1-{size}"
            )
        spans = inclusion_spans(seq - 1, size)
        leaf, root, *path = tree.roots([(seq - 1, seq), (0, size), *spans])
    return {
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": leaf.hex(),
        "root": root.hex(),
        "proof": [node.hex() for node in path],
    }


def consistency(store: Store, old_size: int, new_size: int) -> dict[str, Any]:
    """The consistency proof between the trees of ``old_size`` and ``new_size`` entries."""
    with store.ledger.tree() as tree:
        if not 1 <= old_size <= new_size <= tree.size:
            raise InvalidInputError(
                f"sizes {old_size} and {new_size} do not fit (the ledger has {tree.size} entries)",
                source="OLD_SIZE NEW_SIZE",
                expected=f"1 <= OLD_SIZE <= NEW_SIZE <= {tree.size}",
            )
        spans = consistency_spans(old_size, new_size)
        old_root, new_root, *path = tree.roots([(0, old_size), (0, new_size), *spans])
    return {
        "old_size": old_size,
        "new_size": new_size,
        "old_root": old_root.hex(),
        "new_root": new_root.hex(),
        "proof": [node.hex() for node in path],
    }

"""The ledger as an RFC 9162 (Certificate Transparency v2, §2.1) Merkle tree, as values.

The leaf of entry N is ``SHA-256(0x00 || entry_hash_N)`` (the 32 raw bytes of the entry's
hash); an interior node is ``SHA-256(0x01 || left || right)``; a tree of n > 1 leaves splits at
k, the largest power of two smaller than n. Inclusion proofs (``PATH``) and consistency proofs
(``PROOF``) follow §2.1.3.1 and §2.1.4.1; their verification, §2.1.3.2 and §2.1.4.2. No I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]


def leaf_hash(entry_hash: bytes) -> bytes:
    """The leaf of an entry whose hash is ``entry_hash`` (32 raw bytes)."""
    return hashlib.sha256(b"\x00" + entry_hash).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node over two subtree roots."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes (the hash of the empty string for no leaves)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    # Pairing left to right, carrying an odd last node up, gives the same root as the
    # recursive split at the largest power of two, without recursion.
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]): the audit path of leaf ``index``, nearest sibling first."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)} leaves")
    return _path(leaves, 0, len(leaves), index)


def _path(leaves: Sequence[bytes], start: int, end: int, index: int) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*_path(leaves, start, start + k, index), tree_root(leaves[start + k : end])]
    return [*_path(leaves, start + k, end, index - k), tree_root(leaves[start : start + k])]


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]): the nodes that show the tree of ``old_size`` leaves is a prefix of
    the tree of all ``leaves`` (empty when the sizes are equal)."""
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"no consistency proof from {old_size} to {len(leaves)} leaves")
    return _subproof(leaves, 0, len(leaves), old_size, True)


def _subproof(leaves: Sequence[bytes], start: int, end: int, m: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [tree_root(leaves[start:end])]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves, start, start + k, m, whole), tree_root(leaves[start + k : end])]
    return [*_subproof(leaves, start + k, end, m - k, False), tree_root(leaves[start : start + k])]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: whether ``proof`` shows ``leaf`` at ``index`` in the tree ``root``."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """RFC 9162 §2.1.4.2: whether ``proof`` shows the tree ``old_root`` of ``old_size``
    leaves is a prefix of the tree ``new_root`` of ``new_size`` leaves."""
    if old_size <= 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the path
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0

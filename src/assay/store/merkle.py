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
    "NodeKey",
    "Span",
    "consistency_proof",
    "consistency_spans",
    "extend",
    "fold",
    "inclusion_proof",
    "inclusion_spans",
    "leaf_hash",
    "node_hash",
    "perfect_parts",
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


Span = tuple[int, int]
"""Leaves ``[start, end)`` of the tree: the subtree whose root is MTH of those leaves."""

NodeKey = tuple[int, int]
"""A perfect subtree: ``(level, index)`` covers leaves ``[index * 2**level, (index + 1) *
2**level)``; level 0 is a leaf."""


def inclusion_spans(index: int, size: int) -> list[Span]:
    """The subtrees whose roots make PATH(index, D[size]), nearest sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    spans: list[Span] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            spans.append((start + k, end))
            end = start + k
        else:
            spans.append((start, start + k))
            start += k
    spans.reverse()
    return spans


def consistency_spans(old_size: int, size: int) -> list[Span]:
    """The subtrees whose roots make PROOF(old_size, D[size]) (none when the sizes are
    equal)."""
    if not 0 < old_size <= size:
        raise ValueError(f"no consistency proof from {old_size} to {size} leaves")
    spans: list[Span] = []
    start, end, m, whole = 0, size, old_size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            spans.append((start + k, end))
            end = start + k
        else:
            spans.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        spans.append((start, end))
    spans.reverse()
    return spans


def perfect_parts(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees, left to right, whose roots fold into MTH of leaves
    ``[start, end)``. Every span of an RFC 9162 proof starts at a multiple of its largest
    part, so the parts are the binary digits of its length."""
    parts: list[NodeKey] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"leaves [{start}, {end}) are not a subtree of an RFC 9162 tree")
        parts.append((level, start >> level))
        start += 1 << level
    return parts


def fold(part_roots: Sequence[bytes]) -> bytes:
    """MTH of a span from the roots of its :func:`perfect_parts`, left to right: each split
    puts the largest perfect subtree on the left."""
    root = part_roots[-1]
    for left in reversed(part_roots[:-1]):
        root = node_hash(left, root)
    return root


def extend(
    frontier: Sequence[tuple[NodeKey, bytes]], first_index: int, leaves: Sequence[bytes]
) -> tuple[list[tuple[NodeKey, bytes]], list[tuple[NodeKey, bytes]]]:
    """Append ``leaves`` (leaf hashes) at ``first_index`` to a tree whose ``frontier`` (the
    :func:`perfect_parts` of ``[0, first_index)`` with their roots) is given.

    Returns the perfect subtrees completed by the new leaves (the leaves themselves included)
    and the frontier of the longer tree: a binary counter, one carry per completed pair.
    """
    stack = list(frontier)
    completed: list[tuple[NodeKey, bytes]] = []
    for offset, leaf in enumerate(leaves):
        node: tuple[NodeKey, bytes] = ((0, first_index + offset), leaf)
        completed.append(node)
        while stack and stack[-1][0][0] == node[0][0]:
            (level, index), left = stack.pop()
            node = ((level + 1, index >> 1), node_hash(left, node[1]))
            completed.append(node)
        stack.append(node)
    return completed, stack


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]): the audit path of leaf ``index``, nearest sibling first."""
    return [tree_root(leaves[s:e]) for s, e in inclusion_spans(index, len(leaves))]


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]): the nodes that show the tree of ``old_size`` leaves is a prefix of
    the tree of all ``leaves`` (empty when the sizes are equal)."""
    return [tree_root(leaves[s:e]) for s, e in consistency_spans(old_size, len(leaves))]


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

"""The ledger's Merkle tree against a verifier written here from RFC 9162 §2.1 (not assay's):
every leaf of trees of 1 to 64 entries, random larger trees, every consistency pair up to 64,
and tampered proofs, wrong sizes and forked histories refused."""

from __future__ import annotations

import hashlib
import random

import pytest

from assay.store.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rfc_mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH over leaf hashes."""
    if not leaves:
        return h(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return h(b"\x01" + rfc_mth(leaves[:k]) + rfc_mth(leaves[k:]))


def rfc_verify_inclusion(
    leaf: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = h(b"\x01" + p + r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            r = h(b"\x01" + r + p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


def rfc_verify_consistency(m: int, n: int, path: list[bytes], first: bytes, second: bytes) -> bool:
    """RFC 9162 §2.1.4.2, step by step."""
    if m == n:
        return not path and first == second
    if m & (m - 1) == 0:
        path = [first, *path]
    if not path:
        return False
    fn, sn = m - 1, n - 1
    while fn % 2 == 1:
        fn //= 2
        sn //= 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = h(b"\x01" + c + fr)
            sr = h(b"\x01" + c + sr)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            sr = h(b"\x01" + sr + c)
        fn //= 2
        sn //= 2
    return fr == first and sr == second and sn == 0


def leaves_of(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(h(salt + i.to_bytes(8, "big"))) for i in range(n)]


def test_leaf_and_node_hashes_follow_the_rfc() -> None:
    entry = bytes(range(32))
    assert leaf_hash(entry) == h(b"\x00" + entry)
    assert tree_root([]) == h(b"")


def test_every_leaf_of_trees_of_1_to_64_and_every_consistency_pair() -> None:
    for n in range(1, 65):
        leaves = leaves_of(n)
        root = tree_root(leaves)
        assert root == rfc_mth(leaves)
        for index in range(n):
            path = inclusion_proof(leaves, index)
            assert rfc_verify_inclusion(leaves[index], index, n, path, root), (n, index)
            assert verify_inclusion(leaves[index], index, n, path, root)
        for m in range(1, n + 1):
            proof = consistency_proof(leaves, m)
            first = rfc_mth(leaves[:m])
            assert rfc_verify_consistency(m, n, proof, first, root), (m, n)
            assert verify_consistency(m, n, proof, first, root)


def test_random_larger_trees() -> None:
    rng = random.Random(9162)
    for n in (rng.randint(65, 5000) for _ in range(6)):
        leaves = leaves_of(n, b"big")
        root = tree_root(leaves)
        assert root == rfc_mth(leaves)
        for index in rng.sample(range(n), 20):
            path = inclusion_proof(leaves, index)
            assert rfc_verify_inclusion(leaves[index], index, n, path, root)
        for m in rng.sample(range(1, n + 1), 10):
            assert rfc_verify_consistency(
                m, n, consistency_proof(leaves, m), rfc_mth(leaves[:m]), root
            )


def test_tampered_proofs_wrong_positions_and_forks_are_refused() -> None:
    leaves = leaves_of(37)
    root = tree_root(leaves)
    path = inclusion_proof(leaves, 12)
    flipped = [bytes([path[0][0] ^ 1]) + path[0][1:], *path[1:]]
    for bad in (flipped, path[:-1], [*path, path[0]], list(reversed(path))):
        assert not verify_inclusion(leaves[12], 12, 37, bad, root)
        assert not rfc_verify_inclusion(leaves[12], 12, 37, bad, root)
    assert not verify_inclusion(leaves[12], 13, 37, path, root)
    # (A neighbouring size can share the path's shape; the signed root is what binds the size.)
    assert not verify_inclusion(leaves[12], 12, 13, path, root)
    assert not verify_inclusion(leaves[12], 40, 37, path, root)
    # A fork: the same first 20 entries, then different histories.
    fork = leaves[:20] + leaves_of(17, b"fork")
    proof = consistency_proof(leaves, 20)
    assert verify_consistency(20, 37, proof, tree_root(leaves[:20]), root)
    assert not verify_consistency(20, 37, proof, tree_root(leaves[:20]), tree_root(fork))
    rewritten = leaves_of(20, b"rewritten")
    assert not verify_consistency(20, 37, proof, tree_root(rewritten), root)
    assert not verify_consistency(21, 20, proof, root, root)
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(leaves, 37)

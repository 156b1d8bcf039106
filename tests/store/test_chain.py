"""The hash chain, checked as pure values (no database)."""

from __future__ import annotations

import dataclasses
import hashlib

from assay.store.canonical import JSONValue, canonical_json
from assay.store.chain import (
    GENESIS_HASH,
    ChainHead,
    LedgerEntry,
    ProblemCode,
    canonical_entry_hash,
    entry_hash,
    verify_chain,
)


def make_chain(count: int) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        ts = f"2026-11-24T12:00:{seq:02d}.000000Z"
        payload: dict[str, JSONValue] = {"n": seq, "score": seq / 3}
        digest = entry_hash(prev, seq, ts, "test.entry", payload)
        entries.append(LedgerEntry(seq, ts, "test.entry", payload, prev, digest))
        prev = digest
    return entries


def test_entry_hash_is_sha256_of_prev_hash_and_canonical_body() -> None:
    body = canonical_json({"kind": "k", "payload": {"a": 1.5}, "seq": 1, "ts": "t"})
    expected = hashlib.sha256((GENESIS_HASH + body).encode()).hexdigest()
    assert entry_hash(GENESIS_HASH, 1, "t", "k", {"a": 1.5}) == expected


def test_the_hash_of_canonical_text_is_the_hash_of_the_value() -> None:
    payload: dict[str, JSONValue] = {"z": [1.0, None, "Jyväskylä"], "a": {"b": 1e300, "c": -0.0}}
    assert canonical_entry_hash(
        GENESIS_HASH,
        7,
        "2026-11-24T12:00:00.000000Z",
        "measurement.result",
        canonical_json(payload),
    ) == entry_hash(GENESIS_HASH, 7, "2026-11-24T12:00:00.000000Z", "measurement.result", payload)


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    chain = make_chain(5)
    result = verify_chain(chain, recorded_head=ChainHead(5, chain[-1].hash))
    assert result.ok
    assert (result.entries, result.first_seq) == (5, 1)
    assert result.head == ChainHead(5, chain[-1].hash)


def test_an_empty_ledger_is_intact() -> None:
    result = verify_chain([], recorded_head=ChainHead(0, GENESIS_HASH))
    assert result.ok
    assert result.entries == 0


def test_an_edited_payload_is_found_at_its_entry() -> None:
    chain = make_chain(5)
    chain[2] = dataclasses.replace(chain[2], payload={"n": 3, "score": 0.99})
    result = verify_chain(chain)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.code) == (3, ProblemCode.HASH_MISMATCH)
    assert result.entries == 2


def test_a_deleted_entry_is_named_as_missing() -> None:
    chain = make_chain(5)
    del chain[1]
    result = verify_chain(chain)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.code) == (2, ProblemCode.MISSING_ENTRY)
    assert "entry 3 follows entry 1" in result.problem.reason


def test_a_deleted_first_entry_is_named_as_missing() -> None:
    result = verify_chain(make_chain(3)[1:])
    assert result.problem is not None
    assert (result.problem.seq, result.problem.code) == (1, ProblemCode.MISSING_ENTRY)


def test_entries_removed_from_the_end_are_caught_by_the_recorded_head() -> None:
    chain = make_chain(5)
    result = verify_chain(chain[:3], recorded_head=ChainHead(5, chain[-1].hash))
    assert result.problem is not None
    assert (result.problem.seq, result.problem.code) == (4, ProblemCode.TRUNCATED)


def test_swapped_contents_are_found_at_the_first_of_the_two() -> None:
    chain = make_chain(5)
    second, third = chain[1], chain[2]
    chain[1] = dataclasses.replace(third, seq=2)
    chain[2] = dataclasses.replace(second, seq=3)
    result = verify_chain(chain)
    assert result.problem is not None
    assert result.problem.seq == 2


def test_entries_out_of_order_are_reported() -> None:
    chain = make_chain(4)
    chain[1], chain[2] = chain[2], chain[1]
    result = verify_chain(chain)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.code) == (2, ProblemCode.MISSING_ENTRY)
    chain = make_chain(3)
    result = verify_chain([chain[0], chain[1], chain[1], chain[2]])
    assert result.problem is not None
    assert (result.problem.seq, result.problem.code) == (3, ProblemCode.OUT_OF_ORDER)


def test_a_rewritten_hash_is_found_at_its_entry() -> None:
    chain = make_chain(5)
    chain[3] = dataclasses.replace(chain[3], hash="f" * 64)
    result = verify_chain(chain)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.code) == (4, ProblemCode.HASH_MISMATCH)


def test_a_consistently_rehashed_entry_breaks_the_next_link() -> None:
    chain = make_chain(5)
    forged_payload: dict[str, JSONValue] = {"n": 3, "score": 2.5}
    e = chain[2]
    forged = dataclasses.replace(
        e, payload=forged_payload, hash=entry_hash(e.prev_hash, e.seq, e.ts, e.kind, forged_payload)
    )
    chain[2] = forged
    result = verify_chain(chain)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.code) == (4, ProblemCode.LINK_MISMATCH)


def test_a_partial_chain_verifies_from_its_anchor() -> None:
    chain = make_chain(6)
    anchor = ChainHead(3, chain[2].hash)
    assert verify_chain(chain[3:], anchor=anchor).ok
    wrong = verify_chain(chain[3:], anchor=ChainHead(3, "a" * 64))
    assert wrong.problem is not None
    assert (wrong.problem.seq, wrong.problem.code) == (4, ProblemCode.LINK_MISMATCH)


def test_a_payload_that_is_not_an_object_is_malformed() -> None:
    chain = make_chain(2)
    chain[1] = dataclasses.replace(chain[1], payload=None)
    result = verify_chain(chain)
    assert result.problem is not None
    assert (result.problem.seq, result.problem.code) == (2, ProblemCode.MALFORMED)

"""The hash chain of the evidence ledger: how an entry's hash is made and how a chain is checked.

Pure functions over values; the database and file readers feed entries in.

An entry's hash is ``sha256(prev_hash + canonical_json({"kind", "payload", "seq", "ts"}))`` in
lowercase hex, where ``prev_hash`` is the previous entry's hash (64 zeros before the first
entry). Because the sequence number is hashed, moving an entry breaks its hash; because each
entry names its predecessor's hash, deleting or inserting one breaks the link after it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any

from assay.store.canonical import JSONValue, canonical_json

__all__ = [
    "GENESIS_HASH",
    "ChainHead",
    "ChainProblem",
    "LedgerEntry",
    "ProblemCode",
    "VerificationResult",
    "canonical_entry_hash",
    "decode_payload",
    "entry_hash",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class LedgerEntry:
    """One stored ledger record. ``payload`` is ``None`` when what was stored is not a JSON
    object (only tampering produces that; :func:`verify_chain` reports it)."""

    seq: int
    ts: str
    kind: str
    payload: dict[str, JSONValue] | None
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """The entry as a JSON object (the export line format)."""
        return {
            "seq": self.seq,
            "ts": self.ts,
            "kind": self.kind,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class ChainHead:
    """The newest entry a ledger records: its sequence number (0 when empty) and hash."""

    seq: int
    hash: str


def entry_hash(prev_hash: str, seq: int, ts: str, kind: str, payload: Mapping[str, Any]) -> str:
    """Return the SHA-256 (hex) that chains an entry with these fields to ``prev_hash``."""
    return canonical_entry_hash(prev_hash, seq, ts, kind, canonical_json(dict(payload)))


def canonical_entry_hash(prev_hash: str, seq: int, ts: str, kind: str, payload_json: str) -> str:
    """:func:`entry_hash` for a payload already in canonical JSON (as the ledger stores it),
    so an append does not canonicalize the same payload twice."""
    # canonical_json of {"kind", "payload", "seq", "ts"}: keys in sorted order, no whitespace,
    # assembled around the payload text instead of re-serializing it.
    body = f'{{"kind":{_string(kind)},"payload":{payload_json},"seq":{seq},"ts":{_string(ts)}}}'
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _string(text: str) -> str:
    """A string's canonical JSON (what :func:`canonical_json` gives for a ``str``)."""
    return encode_basestring(text)


def decode_payload(text: str) -> dict[str, JSONValue] | None:
    """Parse a stored payload; ``None`` when it is not a JSON object."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class ProblemCode(StrEnum):
    """What kind of break :func:`verify_chain` found."""

    HASH_MISMATCH = "hash_mismatch"
    LINK_MISMATCH = "link_mismatch"
    MISSING_ENTRY = "missing_entry"
    OUT_OF_ORDER = "out_of_order"
    TRUNCATED = "truncated"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class ChainProblem:
    """The first entry at which the chain is broken, and why."""

    seq: int
    code: ProblemCode
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON object."""
        return {"seq": self.seq, "code": self.code.value, "reason": self.reason}


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of checking a chain: how many entries held, the head, and the first problem."""

    entries: int
    first_seq: int | None
    head: ChainHead
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        """True when every entry checked and the chain ends where the ledger says it does."""
        return self.problem is None

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON object (see docs/schemas/ledger-verify.schema.json)."""
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_seq": self.first_seq,
            "head": {"seq": self.head.seq, "hash": self.head.hash},
            "problem": self.problem.to_dict() if self.problem else None,
        }


def verify_chain(
    entries: Iterable[LedgerEntry],
    *,
    anchor: ChainHead | None = None,
    recorded_head: ChainHead | None = None,
) -> VerificationResult:
    """Check that ``entries`` (in the order given) form one unbroken chain.

    ``anchor`` is the entry just before the first one, when the chain does not start at the
    beginning (an export made with ``--since``); by default the chain must start at entry 1 after
    the genesis hash. ``recorded_head`` is what the ledger records as its newest entry; a chain
    that ends before it has lost entries at its end. Stops at the first problem.
    """
    previous = anchor
    checked = 0
    first_seq: int | None = None
    for entry in entries:
        if first_seq is None:
            first_seq = entry.seq
            if previous is None:
                previous = ChainHead(0, GENESIS_HASH) if entry.seq == 1 else None
        problem = _check_entry(entry, previous)
        if problem:
            head = previous or ChainHead(0, GENESIS_HASH)
            return VerificationResult(checked, first_seq, head, problem)
        previous = ChainHead(entry.seq, entry.hash)
        checked += 1

    head = previous or anchor or ChainHead(0, GENESIS_HASH)
    if recorded_head is not None and recorded_head != head:
        problem = _compare_with_recorded_head(head, recorded_head)
        return VerificationResult(checked, first_seq, head, problem)
    return VerificationResult(checked, first_seq, head, None)


def _check_entry(entry: LedgerEntry, previous: ChainHead | None) -> ChainProblem | None:
    if previous is None:
        # A chain without an anchor must begin at entry 1.
        return ChainProblem(
            1,
            ProblemCode.MISSING_ENTRY,
            f"entry 1 is missing: the ledger starts at entry {entry.seq}",
        )
    expected_seq = previous.seq + 1
    if entry.seq > expected_seq:
        missing = (
            f"entry {expected_seq} is missing"
            if entry.seq == expected_seq + 1
            else f"entries {expected_seq}-{entry.seq - 1} are missing"
        )
        return ChainProblem(
            expected_seq,
            ProblemCode.MISSING_ENTRY,
            f"{missing}: entry {entry.seq} follows entry {previous.seq}",
        )
    if entry.seq < expected_seq:
        return ChainProblem(
            expected_seq,
            ProblemCode.OUT_OF_ORDER,
            f"expected entry {expected_seq} after entry {previous.seq}, found entry {entry.seq}"
            " (entries repeated or out of order)",
        )
    if not HASH_PATTERN.match(entry.hash) or not HASH_PATTERN.match(entry.prev_hash):
        return ChainProblem(
            entry.seq,
            ProblemCode.MALFORMED,
            "hash or prev_hash is not 64 lowercase hexadecimal digits",
        )
    if entry.prev_hash != previous.hash:
        return ChainProblem(
            entry.seq,
            ProblemCode.LINK_MISMATCH,
            f"prev_hash {entry.prev_hash[:12]}… does not match the hash of entry {previous.seq}"
            f" ({previous.hash[:12]}…)",
        )
    if entry.payload is None:
        return ChainProblem(entry.seq, ProblemCode.MALFORMED, "payload is not a JSON object")
    try:
        computed = entry_hash(entry.prev_hash, entry.seq, entry.ts, entry.kind, entry.payload)
    except ValueError as error:
        return ChainProblem(entry.seq, ProblemCode.MALFORMED, f"payload {error}")
    if computed != entry.hash:
        return ChainProblem(
            entry.seq,
            ProblemCode.HASH_MISMATCH,
            "stored hash does not match the entry's content"
            " (its payload, kind, timestamp or position was changed, or the hash rewritten)",
        )
    return None


def _compare_with_recorded_head(head: ChainHead, recorded: ChainHead) -> ChainProblem:
    if recorded.seq > head.seq:
        return ChainProblem(
            head.seq + 1,
            ProblemCode.TRUNCATED,
            f"the chain ends at entry {head.seq} but the ledger head records entry {recorded.seq}:"
            " entries were removed from the end",
        )
    return ChainProblem(
        head.seq,
        ProblemCode.TRUNCATED,
        f"the ledger head records entry {recorded.seq} ({recorded.hash[:12]}…) but the chain"
        f" ends at entry {head.seq} ({head.hash[:12]}…): the head or the last entry was changed",
    )

"""The hash chain of the evidence ledger: how an entry's hash is made and how a chain is checked.

Pure functions over values; the database and file readers feed entries in. Two entry formats
exist (docs/ledger.md):

- **format 1** (entries written before assay 0.6): ``hash = sha256(prev_hash +
  canonical_json({"kind", "payload", "seq", "ts"}))``;
- **format 2**: ``payload_hash = sha256(canonical_json(payload))`` and ``hash = sha256(prev_hash
  + canonical_json({"kind", "payload_hash", "seq", "ts"}))``. Because the payload enters the
  chain through its own digest, an entry a reader may not see can be served as a *stub*
  (``seq``, ``ts``, ``kind``, ``payload_hash``, ``prev_hash``, ``hash``) whose hash still checks.

In both, ``prev_hash`` is the previous entry's hash (64 zeros before entry 1): the sequence
number is hashed, so moving an entry breaks its hash, and each entry names its predecessor's
hash, so deleting or inserting one breaks the link after it. A chain never goes back from
format 2 to format 1.

Confidential values are *sealed*: the chained payload holds ``{"$sealed": C}`` in their place,
where ``C = sha256(canonical_json({"salt": S, "value": V}))`` for a random 128-bit ``salt`` S.
Readers allowed to see V receive a *disclosure* ``{"salt": S, "value": V}`` beside the entry
and check it against C; readers who may not see V still check every hash.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any

from assay.store.canonical import JSONValue, canonical_json, canonical_json_of_parsed

__all__ = [
    "GENESIS_HASH",
    "HASH_PATTERN",
    "SEALED_KEY",
    "ChainHead",
    "ChainProblem",
    "Disclosure",
    "LedgerEntry",
    "ProblemCode",
    "VerificationResult",
    "canonical_entry_hash",
    "decode_payload",
    "entry_hash",
    "entry_hash_v2",
    "open_payload",
    "payload_digest",
    "pointer",
    "seal",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
SALT_PATTERN = re.compile(r"^[0-9a-f]{32}$")
SEALED_KEY = "$sealed"


@dataclass(frozen=True)
class Disclosure:
    """What opens one sealed value: the salt and the value itself."""

    salt: str
    value: JSONValue

    def commitment(self) -> str:
        """``sha256(canonical_json({"salt", "value"}))`` in hex: what the chain holds."""
        text = canonical_json({"salt": self.salt, "value": self.value})
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {"salt": self.salt, "value": self.value}


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger record as a reader receives it.

    ``payload`` is the payload as chained (sealed values as ``{"$sealed": …}``); it is ``None``
    when the entry is *withheld* from this reader (a stub) or when what was stored is not a JSON
    object (only tampering produces that; :func:`verify_chain` reports it). ``payload_hash`` is
    set for format-2 entries. ``disclosed`` maps the JSON Pointer of each sealed value this
    reader may see to its :class:`Disclosure`. ``problem`` is what a file reader found wrong
    with the entry's form (unknown fields, a key written twice), reported by
    :func:`verify_chain`.
    """

    seq: int
    ts: str
    kind: str
    payload: dict[str, JSONValue] | None
    prev_hash: str
    hash: str
    payload_hash: str | None = None
    disclosed: Mapping[str, Disclosure] = field(default_factory=dict)
    withheld: bool = False
    problem: str | None = None

    @property
    def content(self) -> dict[str, Any] | None:
        """The payload with every disclosed value in place of its seal: what the entry says,
        as far as this reader may know."""
        if self.payload is None or not self.disclosed:
            return self.payload
        return open_payload(self.payload, self.disclosed)

    def to_dict(self) -> dict[str, Any]:
        """The entry as a JSON object (the export line format, docs/ledger.md)."""
        line: dict[str, Any] = {
            "seq": self.seq,
            "ts": self.ts,
            "kind": self.kind,
        }
        if not self.withheld:
            line["payload"] = self.payload
        if self.payload_hash is not None:
            line["payload_hash"] = self.payload_hash
        line["prev_hash"] = self.prev_hash
        line["hash"] = self.hash
        if self.withheld:
            line["withheld"] = True
        elif self.disclosed:
            line["disclosed"] = {key: item.to_dict() for key, item in self.disclosed.items()}
        return line

    def stub(self) -> LedgerEntry:
        """This entry withheld: its place in the chain without its content."""
        return replace(self, payload=None, disclosed={}, withheld=True)

    def sealed_only(self) -> LedgerEntry:
        """This entry without its disclosures: sealed values stay sealed."""
        return replace(self, disclosed={}) if self.disclosed else self


@dataclass(frozen=True)
class ChainHead:
    """The newest entry a ledger records: its sequence number (0 when empty) and hash."""

    seq: int
    hash: str


def entry_hash(prev_hash: str, seq: int, ts: str, kind: str, payload: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) that chains a format-1 entry with these fields to ``prev_hash``."""
    return canonical_entry_hash(prev_hash, seq, ts, kind, canonical_json(dict(payload)))


def canonical_entry_hash(prev_hash: str, seq: int, ts: str, kind: str, payload_json: str) -> str:
    """:func:`entry_hash` for a payload already in canonical JSON (as the ledger stores it)."""
    # canonical_json of {"kind", "payload", "seq", "ts"}: keys in sorted order, no whitespace,
    # assembled around the payload text instead of re-serializing it.
    body = f'{{"kind":{_string(kind)},"payload":{payload_json},"seq":{seq},"ts":{_string(ts)}}}'
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def entry_hash_v2(prev_hash: str, seq: int, ts: str, kind: str, payload_hash: str) -> str:
    """The SHA-256 (hex) that chains a format-2 entry to ``prev_hash``:
    ``sha256(prev_hash + canonical_json({"kind", "payload_hash", "seq", "ts"}))``."""
    body = (
        f'{{"kind":{_string(kind)},"payload_hash":{_string(payload_hash)},"seq":{seq},'
        f'"ts":{_string(ts)}}}'
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def payload_digest(payload_json: str) -> str:
    """The ``payload_hash`` of a payload given as its canonical JSON text."""
    return hashlib.sha256(payload_json.encode("utf-8")).hexdigest()


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


# --- JSON Pointers (RFC 6901) and seals ---------------------------------------------------------


def pointer(path: Iterable[str | int]) -> str:
    """The JSON Pointer (RFC 6901) of a key path: ``("a", 0, "b/c")`` → ``/a/0/b~1c``."""
    parts = [str(part) for part in path]
    text = "/" + "/".join(parts)
    if text.count("/") != len(parts) or "~" in text:  # a key holds / or ~: escape them
        text = "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)
    return text


def _tokens(text: str) -> list[str]:
    if not text.startswith("/"):
        raise ValueError(f"{text!r} is not a JSON Pointer (it must start with /)")
    return [token.replace("~1", "/").replace("~0", "~") for token in text[1:].split("/")]


def _step(node: Any, token: str, text: str) -> tuple[Any, str | int]:
    if isinstance(node, dict):
        if token not in node:
            raise ValueError(f"{text}: no key {token!r}")
        return node, token
    if isinstance(node, list):
        if not token.isdigit() or (token.startswith("0") and token != "0"):
            raise ValueError(f"{text}: {token!r} is not an array index")
        if int(token) >= len(node):
            raise ValueError(f"{text}: index {token} is beyond the array")
        return node, int(token)
    raise ValueError(f"{text}: nothing to step into at {token!r}")


def _locate(document: Any, text: str) -> tuple[Any, str | int]:
    """The container and key that ``text`` points at inside ``document``."""
    tokens = _tokens(text)
    node = document
    for token in tokens[:-1]:
        parent, key = _step(node, token, text)
        node = parent[key]
    return _step(node, tokens[-1], text)


def seal(
    payload: dict[str, Any], paths: Iterable[tuple[str | int, ...]], salts: Iterator[str]
) -> tuple[dict[str, Any], dict[str, tuple[Disclosure, str]]]:
    """Replace, in ``payload`` itself (plain JSON the caller owns, such as a value just read
    back from canonical text), the value at each key path by its seal. Returns the payload
    and, by JSON Pointer, each disclosure with the canonical JSON of its value. Paths that lead
    nowhere, or to ``null``, are left alone; ``salts`` yields a fresh random salt (32 hex
    digits) per sealed value."""
    disclosed: dict[str, tuple[Disclosure, str]] = {}
    for path in paths:
        container: Any = payload
        try:
            for step in path[:-1]:
                container = container[step]
            value = container[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
        where = pointer(path)
        if value is None or where in disclosed:
            continue
        salt = next(salts)
        value_json = canonical_json_of_parsed(value)
        # canonical_json({"salt", "value"}), assembled: keys in order, the value's text as is.
        committed = f'{{"salt":{_string(salt)},"value":{value_json}}}'
        container[path[-1]] = {SEALED_KEY: hashlib.sha256(committed.encode("utf-8")).hexdigest()}
        disclosed[where] = (Disclosure(salt, value), value_json)
    return payload, disclosed


def open_payload(payload: Mapping[str, Any], disclosed: Mapping[str, Disclosure]) -> dict[str, Any]:
    """``payload`` with each disclosed value back in place of its seal. ``payload`` is left as
    it is: the containers on the way to each disclosed value are copied, the rest is shared."""
    opened: dict[str, Any] = dict(payload)
    copied = {id(opened)}
    for where, disclosure in disclosed.items():
        tokens = _tokens(where)
        node: Any = opened
        for token in tokens[:-1]:
            parent, key = _step(node, token, where)
            child = parent[key]
            if id(child) not in copied:
                child = dict(child) if isinstance(child, dict) else list(child)
                parent[key] = child
                copied.add(id(child))
            node = child
        container, key = _step(node, tokens[-1], where)
        container[key] = copy.deepcopy(disclosure.value)
    return opened


def _is_seal(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and len(node) == 1
        and isinstance(node.get(SEALED_KEY), str)
        and bool(HASH_PATTERN.match(node[SEALED_KEY]))
    )


def _count_seals(node: Any) -> int:
    if _is_seal(node):
        return 1
    if isinstance(node, dict):
        return sum(_count_seals(item) for item in node.values())
    if isinstance(node, list):
        return sum(_count_seals(item) for item in node)
    return 0


# --- verification ------------------------------------------------------------------------------


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
    """Outcome of checking a chain: how many entries held, the head, the first problem, and
    how much of it the reader could not see: entries ``withheld`` (stubs; their content is not
    shown, their hashes are checked) and ``sealed`` values not disclosed to this reader."""

    entries: int
    first_seq: int | None
    head: ChainHead
    problem: ChainProblem | None
    withheld: int = 0
    sealed: int = 0

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
            "withheld": self.withheld,
            "sealed": self.sealed,
            "problem": self.problem.to_dict() if self.problem else None,
        }


@dataclass
class _Tally:
    checked: int = 0
    withheld: int = 0
    sealed: int = 0
    format_two_from: int | None = None


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
    tally = _Tally()
    first_seq: int | None = None

    def result(head: ChainHead, problem: ChainProblem | None) -> VerificationResult:
        return VerificationResult(
            tally.checked, first_seq, head, problem, tally.withheld, tally.sealed
        )

    for entry in entries:
        if first_seq is None:
            first_seq = entry.seq
            if previous is None:
                previous = ChainHead(0, GENESIS_HASH) if entry.seq == 1 else None
        problem = _check_entry(entry, previous, tally)
        if problem:
            return result(previous or ChainHead(0, GENESIS_HASH), problem)
        previous = ChainHead(entry.seq, entry.hash)
        tally.checked += 1

    head = previous or anchor or ChainHead(0, GENESIS_HASH)
    if recorded_head is not None and recorded_head != head:
        return result(head, _compare_with_recorded_head(head, recorded_head))
    return result(head, None)


def _check_entry(
    entry: LedgerEntry, previous: ChainHead | None, tally: _Tally
) -> ChainProblem | None:
    if entry.problem is not None:
        seq = previous.seq + 1 if previous is not None else entry.seq
        return ChainProblem(seq, ProblemCode.MALFORMED, entry.problem)
    problem = _check_position(entry, previous)
    if problem is not None:
        return problem
    assert previous is not None  # _check_position refuses a chain without a start
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
    if entry.payload_hash is None:
        return _check_format_one(entry, tally)
    return _check_format_two(entry, tally)


def _check_position(entry: LedgerEntry, previous: ChainHead | None) -> ChainProblem | None:
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
    return None


def _check_format_one(entry: LedgerEntry, tally: _Tally) -> ChainProblem | None:
    if tally.format_two_from is not None:
        return ChainProblem(
            entry.seq,
            ProblemCode.MALFORMED,
            f"an entry of format 1 follows entries of format 2 (from entry "
            f"{tally.format_two_from}); a ledger never goes back to the old format",
        )
    if entry.disclosed:
        return ChainProblem(entry.seq, ProblemCode.MALFORMED, "format-1 entries have no seals")
    if entry.withheld:
        # Its hash cannot be recomputed without the payload; the next entry's link pins it.
        tally.withheld += 1
        return None
    if entry.payload is None:
        return ChainProblem(entry.seq, ProblemCode.MALFORMED, "payload is not a JSON object")
    try:
        computed = entry_hash(entry.prev_hash, entry.seq, entry.ts, entry.kind, entry.payload)
    except ValueError as error:
        return ChainProblem(entry.seq, ProblemCode.MALFORMED, f"payload {error}")
    if computed != entry.hash:
        return _changed(entry)
    return None


def _check_format_two(entry: LedgerEntry, tally: _Tally) -> ChainProblem | None:
    assert entry.payload_hash is not None
    if tally.format_two_from is None:
        tally.format_two_from = entry.seq
    if not HASH_PATTERN.match(entry.payload_hash):
        return ChainProblem(
            entry.seq, ProblemCode.MALFORMED, "payload_hash is not 64 lowercase hexadecimal digits"
        )
    if entry.withheld:
        tally.withheld += 1
    elif entry.payload is None:
        return ChainProblem(entry.seq, ProblemCode.MALFORMED, "payload is not a JSON object")
    else:
        try:
            text = canonical_json(entry.payload)
        except ValueError as error:
            return ChainProblem(entry.seq, ProblemCode.MALFORMED, f"payload {error}")
        if payload_digest(text) != entry.payload_hash:
            return ChainProblem(
                entry.seq,
                ProblemCode.HASH_MISMATCH,
                "the payload does not match its payload_hash (the payload was changed)",
            )
        problem = _check_disclosures(entry)
        if problem is not None:
            return problem
        tally.sealed += _count_seals(entry.payload) - len(entry.disclosed)
    computed = entry_hash_v2(entry.prev_hash, entry.seq, entry.ts, entry.kind, entry.payload_hash)
    if computed != entry.hash:
        return _changed(entry)
    return None


def _check_disclosures(entry: LedgerEntry) -> ChainProblem | None:
    assert entry.payload is not None
    for where, disclosure in entry.disclosed.items():
        try:
            container, key = _locate(entry.payload, where)
        except ValueError as error:
            return ChainProblem(entry.seq, ProblemCode.MALFORMED, f"disclosure {error}")
        seal_node = container[key]
        if not _is_seal(seal_node):
            return ChainProblem(
                entry.seq, ProblemCode.MALFORMED, f"disclosure {where}: no sealed value there"
            )
        if not SALT_PATTERN.match(disclosure.salt):
            return ChainProblem(
                entry.seq,
                ProblemCode.MALFORMED,
                f"disclosure {where}: the salt is not 32 lowercase hexadecimal digits",
            )
        try:
            commitment = disclosure.commitment()
        except ValueError as error:
            return ChainProblem(entry.seq, ProblemCode.MALFORMED, f"disclosure {where}: {error}")
        if commitment != seal_node[SEALED_KEY]:
            return ChainProblem(
                entry.seq,
                ProblemCode.HASH_MISMATCH,
                f"the value disclosed at {where} does not match its seal (it was changed)",
            )
    return None


def _changed(entry: LedgerEntry) -> ChainProblem:
    return ChainProblem(
        entry.seq,
        ProblemCode.HASH_MISMATCH,
        "stored hash does not match the entry's content"
        " (its payload, kind, timestamp or position was changed, or the hash rewritten)",
    )


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

"""Ledger exports: JSON lines that can be verified offline, without the database.

The first line is a header ``{"format": "assay-ledger-export", "version": 2, "since": N,
"head": {"seq": …, "hash": …}, "redacted": false, "scope": null, "assay_version": …}`` naming
where the export starts, the ledger's head when it was made, and whether it was cut down for a
reader (sealed values without their disclosures, entries outside the reader's scope as stubs);
every further line is one entry (docs/schemas/ledger-entry.schema.json).

Reading is strict, because a verifier that accepts what the writer never writes can be fooled:
the header is required; a key written twice, a field no entry has, ``NaN`` or a number beyond a
double's range in an entry line is tampering (a failed verification, exit 1, naming the line);
a file that is not an export at all (not JSON lines, no header) is invalid input (exit 2).
Version-1 exports (assay before 0.6) are read with their own, smaller set of fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from assay import __version__
from assay.errors import LedgerFileError, shorten
from assay.files.documents import JsonRefusedError, parse_json
from assay.store.canonical import canonical_json
from assay.store.chain import (
    HASH_PATTERN,
    ChainHead,
    ChainProblem,
    Disclosure,
    LedgerEntry,
    ProblemCode,
    VerificationResult,
    verify_chain,
)
from assay.store.ledger import Ledger

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "ExportHeader",
    "export_ledger",
    "verify_export",
]

EXPORT_FORMAT = "assay-ledger-export"
EXPORT_VERSION = 2
_EXPECTED_HEADER = (
    f'the header line of assay ledger export: {{"format": "{EXPORT_FORMAT}", "version": '
    f'{EXPORT_VERSION}, "since": N, "head": {{"seq": N, "hash": "…"}}, …}}'
)
_HEADER_FIELDS = {
    1: {"format", "version", "since", "head", "assay_version"},
    2: {"format", "version", "since", "head", "assay_version", "redacted", "scope"},
}
_ENTRY_FIELDS = {"seq": int, "ts": str, "kind": str, "prev_hash": str, "hash": str}
_OPTIONAL_FIELDS = {1: {"payload"}, 2: {"payload", "payload_hash", "withheld", "disclosed"}}


@dataclass(frozen=True)
class ExportHeader:
    """What an export says about itself: its first entry number, the head at export time, and
    whether (and for which scope) it was redacted."""

    since: int
    head: ChainHead
    version: int = EXPORT_VERSION
    redacted: bool = False
    scope: str | None = None


def export_ledger(
    ledger: Ledger,
    stream: IO[str],
    *,
    since: int = 1,
    limit: int | None = None,
    view: Callable[[LedgerEntry], LedgerEntry] | None = None,
    redacted: bool = False,
    scope: str | None = None,
) -> tuple[int, ChainHead]:
    """Write the header and every entry from ``since`` on (at most ``limit``) to ``stream``,
    from one consistent snapshot, each entry as ``view`` cuts it down for the reader (all of
    it by default; ``redacted`` and ``scope`` say so in the header). Returns the number of
    entries written and the ledger head."""
    count = -1  # the header is not an entry
    head = ChainHead(0, "")
    for line, snapshot_head in export_lines(
        ledger, since=since, limit=limit, view=view, redacted=redacted, scope=scope
    ):
        stream.write(line)
        count, head = count + 1, snapshot_head
    return count, head


def export_lines(
    ledger: Ledger,
    *,
    since: int = 1,
    limit: int | None = None,
    view: Callable[[LedgerEntry], LedgerEntry] | None = None,
    redacted: bool = False,
    scope: str | None = None,
) -> Iterator[tuple[str, ChainHead]]:
    """The lines of an export (header first), each with the head of the snapshot they come
    from, produced as the entries are read (for a streamed answer)."""
    with ledger.snapshot(since=since) as (head, entries):
        header = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "since": since,
            "head": {"seq": head.seq, "hash": head.hash},
            "redacted": redacted,
            "scope": scope,
            "assay_version": __version__,
        }
        yield canonical_json(header) + "\n", head
        for index, entry in enumerate(entries):
            if limit is not None and index >= limit:
                return
            shown = view(entry) if view is not None else entry
            yield canonical_json(shown.to_dict()) + "\n", head


def verify_export(
    path: Path, hashes: list[str] | None = None
) -> tuple[ExportHeader, VerificationResult]:
    """Verify an export file offline. Raises :class:`LedgerFileError` when the file is not a
    ledger export (unreadable, no header, a line that is not JSON); a file whose entries are
    malformed or do not chain yields a failed :class:`VerificationResult`. ``hashes``, when
    given, receives each entry's hash as read (hex), for rebuilding the export's Merkle tree
    in the same pass once the chain is found intact."""
    try:
        with path.open(encoding="utf-8") as stream:
            header, entries = _read(stream, path)
            if hashes is not None:
                entries = _noting(entries, hashes)
            return header, _verify(header, entries)
    except OSError as error:
        raise LedgerFileError(
            f"cannot read the file ({error.strerror})", source=str(path)
        ) from error
    except UnicodeDecodeError as error:
        raise LedgerFileError("the file is not UTF-8 text", source=str(path)) from error


def _noting(entries: Iterator[LedgerEntry], hashes: list[str]) -> Iterator[LedgerEntry]:
    for entry in entries:
        hashes.append(entry.hash)
        yield entry


def _read(stream: IO[str], path: Path) -> tuple[ExportHeader, Iterator[LedgerEntry]]:
    lines = enumerate(stream, start=1)
    first = next(lines, None)
    if first is None:
        raise LedgerFileError(
            "the file is empty", source=str(path), expected="a ledger export (assay ledger export)"
        )
    number, text = first
    value, problem = _parse_line(text, number, path)
    if problem is not None or value.get("format") != EXPORT_FORMAT:
        raise LedgerFileError(
            "the first line is not an export header (was it removed?)",
            source=str(path),
            location=f"line {number}",
            expected=_EXPECTED_HEADER,
        )
    header = _header(value, number, path)
    return header, _entries(lines, path, header.version)


def _entries(lines: Iterator[tuple[int, str]], path: Path, version: int) -> Iterator[LedgerEntry]:
    for number, text in lines:
        if not text.strip():
            continue
        value, problem = _parse_line(text, number, path)
        yield _entry(value, number, version, problem)


def _json_problem(error: ValueError, text: str) -> str:
    """What is wrong with a line that is not JSON, with the column, and whether it looks cut
    short (the error is at its end)."""
    if not isinstance(error, json.JSONDecodeError):
        return str(error)
    message = f"{error.msg[0].lower()}{error.msg[1:]}"
    where = f" column {error.colno}" if message.endswith(" at") else f" (column {error.colno})"
    problem = message + where
    unterminated = error.msg.startswith("Unterminated")
    if unterminated or error.pos >= len(text.rstrip()) - 1:
        problem += "; the line is cut short"
    return problem


def _parse_line(text: str, number: int, path: Path) -> tuple[dict[str, Any], str | None]:
    """The line's object, and what is wrong with it beyond not being JSON (a key written
    twice, a non-finite number), which makes the line tampered rather than unreadable."""
    problem = None
    try:
        value = parse_json(text)
    except JsonRefusedError as refused:
        problem = str(refused)
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
    except ValueError as error:
        raise LedgerFileError(
            f"not valid JSON: {_json_problem(error, text)}",
            source=str(path),
            location=f"line {number}" + (" (the export header)" if number == 1 else ""),
            expected="one JSON object per line, as assay ledger export writes",
        ) from error
    if not isinstance(value, dict):
        raise LedgerFileError(
            "not a JSON object",
            source=str(path),
            location=f"line {number}",
            expected="one ledger entry object per line",
        )
    return value, problem


def _header(value: dict[str, Any], number: int, path: Path) -> ExportHeader:
    version = value.get("version")
    fields = _HEADER_FIELDS.get(version) if type(version) is int else None
    head = value.get("head")
    if (
        fields is None
        or not _is_int(value.get("since"))
        or value["since"] < 1
        or not isinstance(head, dict)
        or set(head) != {"seq", "hash"}
        or not _is_int(head.get("seq"))
        or not isinstance(head.get("hash"), str)
        or not HASH_PATTERN.match(head["hash"])
        or not isinstance(value.get("redacted", False), bool)
        or not isinstance(value.get("scope"), str | None)
    ):
        raise LedgerFileError(
            "the export header is not understood",
            source=str(path),
            location=f"line {number}",
            expected=_EXPECTED_HEADER,
        )
    unknown = sorted(set(value) - fields)
    if unknown:
        raise LedgerFileError(
            f"the export header has fields no export has: {', '.join(map(repr, unknown))}",
            source=str(path),
            location=f"line {number}",
            expected=_EXPECTED_HEADER,
        )
    assert isinstance(version, int)
    return ExportHeader(
        value["since"],
        ChainHead(head["seq"], head["hash"]),
        version,
        bool(value.get("redacted", False)),
        value.get("scope"),
    )


def _entry(value: dict[str, Any], number: int, version: int, problem: str | None) -> LedgerEntry:
    """The entry on line ``number``; what is wrong with its form goes into ``problem``."""
    found = {key: value.get(key) for key in _ENTRY_FIELDS}
    problems = [f"line {number}: {problem}"] if problem else []
    for key, kind in _ENTRY_FIELDS.items():
        present = found[key]
        if not isinstance(present, kind) or (kind is int and not _is_int(present)):
            problems.append(f"line {number}: field {key!r} is missing or not a {kind.__name__}")
    unknown = sorted(set(value) - set(_ENTRY_FIELDS) - _OPTIONAL_FIELDS[version])
    if unknown:
        problems.append(f"line {number}: fields no entry has: {', '.join(map(repr, unknown))}")
    withheld = value.get("withheld", False)
    payload = value.get("payload")
    payload_hash = value.get("payload_hash")
    if withheld is not True and "withheld" in value:
        problems.append(f"line {number}: withheld is only ever true")
    if withheld is True and ("payload" in value or "disclosed" in value):
        problems.append(f"line {number}: a withheld entry has no payload and no disclosures")
    if not withheld and not isinstance(payload, dict):
        problems.append(f"line {number}: field 'payload' is missing or not an object")
    if payload_hash is not None and not isinstance(payload_hash, str):
        problems.append(f"line {number}: field 'payload_hash' is not a string")
    disclosed, problem_of_disclosures = _disclosures(value.get("disclosed"), number)
    if problem_of_disclosures:
        problems.append(problem_of_disclosures)
    if disclosed and payload_hash is None:
        problems.append(f"line {number}: only entries with a payload_hash have disclosures")
    seq = found["seq"] if type(found["seq"]) is int else 0
    return LedgerEntry(
        seq,
        str(found["ts"]),
        str(found["kind"]),
        payload if isinstance(payload, dict) else None,
        str(found["prev_hash"]),
        str(found["hash"]),
        payload_hash if isinstance(payload_hash, str) else None,
        disclosed,
        withheld=withheld is True,
        problem=shorten("; ".join(problems), 1000) if problems else None,
    )


def _disclosures(raw: Any, number: int) -> tuple[dict[str, Disclosure], str | None]:
    if raw is None:
        return {}, None
    if not isinstance(raw, dict):
        return {}, f"line {number}: field 'disclosed' is not an object"
    disclosed = {}
    for where, item in raw.items():
        if not isinstance(item, dict) or set(item) != {"salt", "value"}:
            return {}, f"line {number}: disclosure {where!r} is not {{salt, value}}"
        if not isinstance(item["salt"], str):
            return {}, f"line {number}: disclosure {where!r} has no salt"
        disclosed[where] = Disclosure(item["salt"], item["value"])
    return disclosed, None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _verify(header: ExportHeader, entries: Iterator[LedgerEntry]) -> VerificationResult:
    first = next(entries, None)
    since = header.since
    recorded = header.head
    if first is None:
        if recorded.seq >= since:
            problem = ChainProblem(
                since,
                ProblemCode.TRUNCATED,
                f"the file holds no entries but its header records the head at entry"
                f" {recorded.seq}: entries were removed",
            )
            return VerificationResult(0, None, ChainHead(since - 1, ""), problem)
        return VerificationResult(0, None, recorded, None)
    anchor = None
    if since > 1 and HASH_PATTERN.match(first.prev_hash):
        # The entry before the export is not in the file: its hash is taken on trust from the
        # first entry's link, and everything after it is checked.
        anchor = ChainHead(since - 1, first.prev_hash)

    def chained() -> Iterator[LedgerEntry]:
        yield first
        yield from entries

    return verify_chain(chained(), anchor=anchor, recorded_head=recorded)

"""Ledger exports: JSON lines that can be verified offline, without the database.

The first line is a header ``{"format": "assay-ledger-export", "version": 1, "since": N,
"head": {"seq": …, "hash": …}, …}`` naming where the export starts and the ledger's head when
it was made; every further line is one entry (see docs/schemas/ledger-entry.schema.json).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from assay import __version__
from assay.errors import LedgerFileError
from assay.store.canonical import canonical_json
from assay.store.chain import (
    HASH_PATTERN,
    ChainHead,
    ChainProblem,
    LedgerEntry,
    ProblemCode,
    VerificationResult,
    verify_chain,
)
from assay.store.ledger import Ledger

__all__ = ["EXPORT_FORMAT", "ExportHeader", "export_ledger", "verify_export"]

EXPORT_FORMAT = "assay-ledger-export"
EXPORT_VERSION = 1
_ENTRY_FIELDS = {"seq": int, "ts": str, "kind": str, "payload": dict, "prev_hash": str, "hash": str}


@dataclass(frozen=True)
class ExportHeader:
    """What an export says about itself: its first entry number and the head at export time."""

    since: int
    head: ChainHead


def export_ledger(ledger: Ledger, stream: IO[str], *, since: int = 1) -> tuple[int, ChainHead]:
    """Write the header and every entry from ``since`` on to ``stream``, from one consistent
    snapshot. Returns the number of entries written and the ledger head they lead to."""
    count = 0
    with ledger.snapshot(since=since) as (head, entries):
        header = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "since": since,
            "head": {"seq": head.seq, "hash": head.hash},
            "assay_version": __version__,
        }
        stream.write(canonical_json(header) + "\n")
        for entry in entries:
            stream.write(canonical_json(entry.to_dict()) + "\n")
            count += 1
    return count, head


def verify_export(path: Path) -> VerificationResult:
    """Verify an export file offline. Raises :class:`LedgerFileError` when the file is not a
    ledger export (unreadable, a line that is not an entry); a well-formed file whose entries
    do not chain yields a failed :class:`VerificationResult`."""
    try:
        with path.open(encoding="utf-8") as stream:
            header, entries = _read(stream, path)
            return _verify(header, entries)
    except OSError as error:
        raise LedgerFileError(
            f"cannot read the file ({error.strerror})", source=str(path)
        ) from error
    except UnicodeDecodeError as error:
        raise LedgerFileError("the file is not UTF-8 text", source=str(path)) from error


def _read(stream: IO[str], path: Path) -> tuple[ExportHeader | None, Iterator[LedgerEntry]]:
    lines = enumerate(stream, start=1)
    first = next(lines, None)
    if first is None:
        raise LedgerFileError(
            "the file is empty", source=str(path), expected="a ledger export (assay ledger export)"
        )
    number, text = first
    value = _parse_line(text, number, path)
    if value.get("format") == EXPORT_FORMAT:
        return _header(value, number, path), _entries(lines, path)
    return None, _entries(itertools.chain([(number, text)], lines), path)


def _entries(lines: Iterator[tuple[int, str]], path: Path) -> Iterator[LedgerEntry]:
    for number, text in lines:
        if not text.strip():
            continue
        yield _entry(_parse_line(text, number, path), number, path)


def _parse_line(text: str, number: int, path: Path) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        raise LedgerFileError(
            f"not valid JSON ({detail})", source=str(path), location=f"line {number}"
        ) from error
    if not isinstance(value, dict):
        raise LedgerFileError(
            "not a JSON object",
            source=str(path),
            location=f"line {number}",
            expected="one ledger entry object per line",
        )
    return value


def _header(value: dict[str, Any], number: int, path: Path) -> ExportHeader:
    head = value.get("head")
    if (
        value.get("version") != EXPORT_VERSION
        or not _is_int(value.get("since"))
        or not isinstance(head, dict)
        or not _is_int(head.get("seq"))
        or not isinstance(head.get("hash"), str)
    ):
        raise LedgerFileError(
            "the export header is not understood",
            source=str(path),
            location=f"line {number}",
            expected=f'{{"format": "{EXPORT_FORMAT}", "version": {EXPORT_VERSION}, "since": N,'
            ' "head": {"seq": N, "hash": "…"}}',
        )
    return ExportHeader(value["since"], ChainHead(head["seq"], head["hash"]))


def _entry(value: dict[str, Any], number: int, path: Path) -> LedgerEntry:
    for field, kind in _ENTRY_FIELDS.items():
        present = value.get(field)
        if not isinstance(present, kind) or (kind is int and not _is_int(present)):
            raise LedgerFileError(
                f"field {field!r} is missing or not a {kind.__name__}",
                source=str(path),
                location=f"line {number}",
                expected="a ledger entry with seq, ts, kind, payload, prev_hash and hash",
            )
    return LedgerEntry(
        value["seq"],
        value["ts"],
        value["kind"],
        value["payload"],
        value["prev_hash"],
        value["hash"],
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _verify(header: ExportHeader | None, entries: Iterator[LedgerEntry]) -> VerificationResult:
    first = next(entries, None)
    since = header.since if header else (first.seq if first else 1)
    recorded = header.head if header else None
    if first is None:
        if recorded is not None and recorded.seq >= since:
            problem = ChainProblem(
                since,
                ProblemCode.TRUNCATED,
                f"the file holds no entries but its header records the head at entry"
                f" {recorded.seq}: entries were removed",
            )
            return VerificationResult(0, None, ChainHead(since - 1, ""), problem)
        return VerificationResult(0, None, recorded or ChainHead(0, ""), None)
    anchor = None
    if since > 1 and HASH_PATTERN.match(first.prev_hash):
        # The entry before the export is not in the file: its hash is taken on trust from the
        # first entry's link, and everything after it is checked.
        anchor = ChainHead(since - 1, first.prev_hash)

    def chained() -> Iterator[LedgerEntry]:
        yield first
        yield from entries

    return verify_chain(chained(), anchor=anchor, recorded_head=recorded)

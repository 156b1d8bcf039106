"""Finding the first row of a CSV file that breaks the dialect every probe engine reads:
commas, double quotes (doubled inside a quoted value), one header row, and as many fields in
every row as in the header. Engines that stop at such a row say so in their own terms, some
without the line (Spark) or without the row (DuckDB's sniffer); this names both, for the
refusal a user reads. It reads the file once, up to that row: only when an engine refused."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["header_names", "header_problem", "malformed_row", "printable"]

_SHOWN = 200  # characters of the row quoted in a message
# Longer lines are not read whole (a file of one huge line would be held in memory): DuckDB's
# own default bound on a line, in characters.
_LONGEST_LINE = 2_000_000
# The csv module's words for a quote left open, in a user's.
_READER_WORDS = {
    "unexpected end of data": "a quoted value is not closed before the end of the file",
    "field larger than field limit": "a quoted value runs on for more than "
    f"{csv.field_size_limit()} characters (a quote not closed?)",
}


def malformed_row(path: Path) -> str | None:
    """Where ``path`` first breaks the dialect — ``line N: expected K fields, found M: ROW``
    or ``line N: WHAT THE READER MET`` — or None when every row fits."""
    with path.open(newline="", encoding="utf-8", errors="replace") as stream:
        reader = csv.reader(_bounded_lines(stream), strict=True)
        expected: int | None = None
        while True:
            starts = reader.line_num + 1  # a quoted value may span lines: where it began
            try:
                row = next(reader, None)
            except csv.Error as error:
                return f"line {starts}: {_READER_WORDS.get(str(error).split(' (')[0], error)}"
            except _LineTooLong:
                return f"line {reader.line_num + 1}: longer than {_LONGEST_LINE:,} characters"
            if row is None:
                return None
            if not row:  # a blank line, which every engine skips
                continue
            if expected is None:
                expected = len(row)
            elif len(row) != expected:
                shown = printable(",".join(row)[:_SHOWN])
                return f"line {starts}: expected {expected} fields, found {len(row)}: {shown}"


def header_problem(header: list[str] | None) -> str | None:
    """What is wrong with a header row as :func:`header_names` reads it — none at all, or a
    column named twice, which the engines would each rename their own way (DuckDB ``a_1``,
    Spark ``a0`` and ``a1``) — or None."""
    if header is None:
        return "no header row (the file is empty or blank); expected a header naming the columns"
    first: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if name in first:
            return (
                f"the header names column {printable(name)!r} twice (fields {first[name]} "
                f"and {number}); expected one name a column"
            )
        first[name] = number
    return None


def header_names(path: Path) -> list[str] | None:
    """The names of the header row of ``path`` (a byte-order mark is no part of the first),
    None when there is no row; :class:`ValueError` when the first row cannot be read."""
    with path.open(newline="", encoding="utf-8", errors="replace") as stream:
        try:
            header = next((row for row in csv.reader(_bounded_lines(stream)) if row), None)
        except (csv.Error, _LineTooLong) as error:
            raise ValueError(f"the header row cannot be read: {error}") from None
    if header:
        header[0] = header[0].lstrip("\ufeff")
    return header


class _LineTooLong(Exception):
    """A line longer than :data:`_LONGEST_LINE`."""


def _bounded_lines(stream: TextIO) -> Iterator[str]:
    """The lines of ``stream``; :class:`_LineTooLong` rather than one read whole."""
    while line := stream.readline(_LONGEST_LINE + 1):
        if len(line) > _LONGEST_LINE:
            raise _LineTooLong
        yield line


def printable(text: str) -> str:
    """``text`` with each character that is not printable (a control character a terminal
    would act on) written as its escape, so that a file's content quoted in a message shows."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)

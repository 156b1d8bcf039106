"""Reading JSON-lines files: one JSON object per line, blank lines skipped, each bad line
named by its number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO

from assay.errors import InvalidInputError
from assay.files.documents import parse_json

__all__ = ["MAX_LINE", "json_objects"]

MAX_LINE = 1_000_000  # characters of one line


def json_objects(
    handle: TextIO, source: str, *, expected: str = "one JSON object per line"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each line's object with its line number; :class:`InvalidInputError` naming
    ``SOURCE:LINE`` for a line that is too long, not JSON (parsed strictly) or not an object,
    and naming the file when it is not UTF-8 text."""
    try:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{source}:{number}"
            if len(line) > MAX_LINE:
                raise InvalidInputError(
                    f"the line is longer than {MAX_LINE:,} characters", source=where
                )
            try:
                data = parse_json(line)
            except ValueError as error:
                raise InvalidInputError(
                    f"not JSON: {error}", source=where, expected=expected
                ) from None
            if not isinstance(data, dict):
                raise InvalidInputError(
                    f"a JSON {type(data).__name__}, not an object", source=where, expected=expected
                )
            yield number, data
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            f"not UTF-8 text ({error.reason})", source=source, expected="UTF-8 JSON lines"
        ) from None

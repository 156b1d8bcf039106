"""Reading the people-plane inputs: a roster (CSV: ``role`` and optionally ``capacity``,
``team``; other columns such as names are ignored and never stored) and anonymous pulse-survey
answers (CSV: ``group``, ``question``, ``score``)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path

from assay.errors import InvalidInputError
from assay.metrics.people import Answer, Member

__all__ = ["read_roster", "read_survey"]

_MAX_ROWS = 1_000_000


def _rows(
    path: Path, required: tuple[str, ...], expected: str
) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise InvalidInputError(
            f"cannot read the file ({error.strerror})", source=str(path), expected=expected
        ) from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            heads = [h.strip().lower() for h in (reader.fieldnames or [])]
            missing = [name for name in required if name not in heads]
            if missing:
                raise InvalidInputError(
                    f"no column {', '.join(missing)}", source=f"{path}:1", expected=expected
                )
            reader.fieldnames = heads
            for number, row in enumerate(reader, start=2):
                if number > _MAX_ROWS:
                    raise InvalidInputError(f"more than {_MAX_ROWS:,} rows", source=str(path))
                yield number, {k: (v or "").strip() for k, v in row.items() if k is not None}
        except UnicodeDecodeError:
            raise InvalidInputError(
                "the file is not UTF-8 text", source=str(path), expected=expected
            ) from None
        except csv.Error as error:
            raise InvalidInputError(
                f"not CSV: {error}", source=str(path), expected=expected
            ) from None


def _number(text: str, where: str, column: str, expected: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInputError(
            f"{column} {text[:40]!r} is not a finite number", source=where, expected=expected
        )
    return value


_ROSTER = "a CSV roster with a role column (and optionally capacity in FTE, team)"


def read_roster(path: Path) -> list[Member]:
    """The roster's members; a row without a role or with a capacity that is not a number
    from 0 to 10 is refused, naming its line."""
    members = []
    for number, row in _rows(path, ("role",), _ROSTER):
        where = f"{path}:{number}"
        if not row.get("role"):
            raise InvalidInputError("the role is empty", source=where, expected=_ROSTER)
        capacity = _number(row.get("capacity") or "1", where, "capacity", _ROSTER)
        if not 0 <= capacity <= 10:
            raise InvalidInputError(
                f"capacity {capacity} is outside 0-10", source=where, expected=_ROSTER
            )
        members.append(Member(row["role"][:200], capacity, row.get("team") or None))
    return members


_SURVEY = "a CSV of anonymous answers with columns group, question, score"


def read_survey(path: Path) -> list[Answer]:
    """The survey's answers; a row with an empty group or question or a score that is not a
    number is refused, naming its line."""
    answers = []
    for number, row in _rows(path, ("group", "question", "score"), _SURVEY):
        where = f"{path}:{number}"
        if not row.get("group") or not row.get("question"):
            raise InvalidInputError(
                "group and question must not be empty", source=where, expected=_SURVEY
            )
        score = _number(row["score"], where, "score", _SURVEY)
        answers.append(Answer(row["group"][:200], row["question"][:500], score))
    return answers

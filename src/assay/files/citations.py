"""Reading a citation evaluation: a question set (JSON lines ``{"question", "relevant"}``, the
ids of the chunks relevant to each question) and the answers given (JSON lines ``{"question",
"retrieval_ids"}``, the chunk ids each answer cited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.errors import InvalidInputError
from assay.files.jsonlines import json_objects

__all__ = ["read_answers", "read_questions"]


def _objects(path: Path, expected: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8") as handle:
            return [
                (f"{path}:{number}", data)
                for number, data in json_objects(handle, str(path), expected=expected)
            ]
    except OSError as error:
        raise InvalidInputError(
            f"cannot read the file ({error.strerror})", source=str(path), expected=expected
        ) from None


def _ids(value: Any, where: str, key: str, expected: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidInputError(
            f"{key} is not a list of chunk ids", source=where, location=key, expected=expected
        )
    return value


def _question(data: dict[str, Any], where: str, expected: str) -> str:
    question = data.get("question", data.get("id"))
    if not isinstance(question, str) or not question:
        raise InvalidInputError(
            "no question id", source=where, location="question", expected=expected
        )
    return question


_QUESTIONS = 'one JSON object per line: {"question": ID, "relevant": [CHUNK_ID, ...]}'
_ANSWERS = 'one JSON object per line: {"question": ID, "retrieval_ids": [CHUNK_ID, ...]}'


def read_questions(path: Path) -> dict[str, list[str]]:
    """Each question's relevant chunk ids; a question given twice is refused."""
    questions: dict[str, list[str]] = {}
    for where, data in _objects(path, _QUESTIONS):
        question = _question(data, where, _QUESTIONS)
        if question in questions:
            raise InvalidInputError(f"question {question!r} is given twice", source=where)
        questions[question] = _ids(data.get("relevant"), where, "relevant", _QUESTIONS)
    return questions


def read_answers(path: Path) -> dict[str, list[str]]:
    """Each answered question's cited chunk ids (a question answered twice: its citations
    are pooled)."""
    answers: dict[str, list[str]] = {}
    for where, data in _objects(path, _ANSWERS):
        question = _question(data, where, _ANSWERS)
        cited = _ids(data.get("retrieval_ids", []), where, "retrieval_ids", _ANSWERS)
        answers.setdefault(question, []).extend(cited)
    return answers

"""Validating loaded documents against the JSON Schemas shipped in ``catalog/schemas``."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from assay.errors import InvalidInputError, shorten
from assay.files.documents import LoadedDocument

__all__ = ["DocumentInvalidError", "raise_problems", "schema", "validate_document"]


class DocumentInvalidError(InvalidInputError):
    """A document breaks its schema or rules; ``problems`` lists every ``where: what``."""

    def __init__(self, source: str, problems: list[str], *, expected: str) -> None:
        total = len(problems)
        problems = [shorten(problem, MAX_PROBLEM) for problem in problems[:MAX_PROBLEMS]]
        count = f"{total} problem{'s' if total != 1 else ''}"
        shown = problems[:SHOWN_PROBLEMS]
        more = total - len(shown)
        text = f"{count}:\n  " + "\n  ".join(shown) + (f"\n  and {more} more" if more else "")
        super().__init__(text, source=source, expected=expected, problems=problems)


MAX_PROBLEM = 300  # characters of one problem (values quoted in it can be any size)
SHOWN_PROBLEMS = 10  # in the message; ``problems`` keeps up to MAX_PROBLEMS
MAX_PROBLEMS = 1000


@cache
def schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``catalog/schemas/<name>.schema.json``."""
    text = resources.files("assay.catalog").joinpath(f"schemas/{name}.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate_document(document: LoadedDocument, schema_name: str, *, expected: str) -> None:
    """Raise :class:`DocumentInvalidError` listing every violation of the schema, each with its
    line and key path; return quietly when there is none."""
    validator = Draft202012Validator(schema(schema_name))
    raise_problems(
        document,
        [
            (tuple(error.absolute_path), _describe(error))
            for error in validator.iter_errors(document.data)
        ],
        expected=expected,
    )


def raise_problems(
    document: LoadedDocument, problems: list[tuple[tuple[str | int, ...], str]], *, expected: str
) -> None:
    """Raise :class:`DocumentInvalidError` for ``(key path, problem)`` pairs, in file order."""
    if problems:
        ordered = sorted(problems, key=lambda item: (document.line_of(item[0]) or 0, str(item[0])))
        raise DocumentInvalidError(
            document.source,
            [f"{document.where(path)}: {problem}" for path, problem in ordered],
            expected=expected,
        )


def _describe(error: ValidationError) -> str:
    alternatives = error.schema.get("oneOf") if isinstance(error.schema, dict) else None
    if (
        error.validator == "oneOf"
        and alternatives
        and all(set(choice) == {"required"} for choice in alternatives)
    ):
        keys = " or ".join(repr(key) for choice in alternatives for key in choice["required"])
        return f"give exactly one of {keys}"
    # A failed anyOf/oneOf says little by itself: report the closest branch, preferring one
    # that got past the type check (the branch the author most likely meant).
    if error.context:
        best = max(
            error.context,
            key=lambda sub: (sub.validator != "type", len(sub.absolute_path)),
        )
        return _describe(best)
    return str(error.message)

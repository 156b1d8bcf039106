"""Turning fetched text into values, and picking a part of a value with JMESPath."""

from __future__ import annotations

import csv
import io
import math
from typing import Annotated, Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import AfterValidator

from assay.collectors.base import CollectionError
from assay.errors import InvalidInputError, shorten
from assay.files.documents import JsonRefusedError, parse_document, parse_json

__all__ = ["Format", "Selector", "compile_selector", "decode", "select"]

Format = Literal["auto", "json", "yaml", "csv", "number", "text"]


def compile_selector(expression: str) -> str:
    """``expression`` when it is a JMESPath expression; ``ValueError`` saying why not (so a
    spec with a bad selector is refused when it is loaded, not when it runs)."""
    try:
        jmespath.compile(expression)
    except JMESPathError as error:
        detail = shorten(" ".join(str(error).split()), 200)
        raise ValueError(
            f"{shorten(expression, 80)!r} is not a JMESPath expression ({detail})"
        ) from None
    return expression


Selector = Annotated[str, AfterValidator(compile_selector)]


def decode(text: str, fmt: Format, what: str) -> Any:
    """``text`` read as ``fmt``, through assay's strict loader (:mod:`assay.files.documents`: no key
    twice, bounded aliases and nesting, JSON without ``NaN`` or ``Infinity``). ``auto`` tries
    JSON, then a number, then keeps the stripped text. CSV gives a list of rows keyed by the
    header. ``what`` names the source in errors."""
    if fmt == "auto":
        try:
            return parse_json(text)
        except JsonRefusedError as refused:
            raise CollectionError(f"{what} is not valid json: {refused}") from None
        except ValueError:
            return _number_or_text(text)
    try:
        if fmt == "json":
            return parse_json(text)
        if fmt == "yaml":
            return parse_document(text, what).data
        if fmt == "csv":
            return list(csv.DictReader(io.StringIO(text)))
        if fmt == "number":
            return _number(text.strip())
    except InvalidInputError as error:
        raise CollectionError(f"{what} is not valid {fmt}: {error.problem}") from None
    except (ValueError, csv.Error) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CollectionError(f"{what} is not valid {fmt}: {shorten(first_line, 200)}") from None
    return text.strip()


def _number(text: str) -> int | float:
    """A number written as text; ``inf``, ``nan`` and numbers beyond a double are refused."""
    if text.lstrip("+-").isdigit():
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{shorten(text, 40)!r} is not a finite number")
    return number


def _number_or_text(text: str) -> Any:
    stripped = text.strip()
    try:
        return _number(stripped)
    except ValueError:
        return stripped


def select(value: Any, expression: str | None, what: str) -> Any:
    """The part of ``value`` that the JMESPath ``expression`` picks (all of it without one); a
    selector that matches nothing is a :class:`CollectionError`."""
    if expression is None:
        return value
    try:
        found = jmespath.search(expression, value)
    except JMESPathError as error:
        raise CollectionError(f"{expression!r} is not a JMESPath expression ({error})") from None
    if found is None:
        raise CollectionError(f"{expression!r} matches nothing in {what}")
    return found

"""Turning fetched text into values, and picking a part of a value with JMESPath."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

import jmespath
import yaml
from jmespath.exceptions import JMESPathError

from assay.collectors.base import CollectionError

__all__ = ["Format", "decode", "select"]

Format = Literal["auto", "json", "yaml", "csv", "number", "text"]


def decode(text: str, fmt: Format, what: str) -> Any:
    """``text`` read as ``fmt``. ``auto`` tries JSON, then a number, then keeps the stripped
    text. CSV gives a list of rows keyed by the header. ``what`` names the source in errors."""
    if fmt == "auto":
        try:
            return json.loads(text)
        except ValueError:
            stripped = text.strip()
            try:
                return float(stripped) if not stripped.lstrip("+-").isdigit() else int(stripped)
            except ValueError:
                return stripped
    try:
        if fmt == "json":
            return json.loads(text)
        if fmt == "yaml":
            return yaml.safe_load(text)
        if fmt == "csv":
            return list(csv.DictReader(io.StringIO(text)))
        if fmt == "number":
            stripped = text.strip()
            return int(stripped) if stripped.lstrip("+-").isdigit() else float(stripped)
    except (ValueError, yaml.YAMLError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CollectionError(f"{what} is not valid {fmt}: {first_line}") from None
    return text.strip()


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

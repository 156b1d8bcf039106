"""Measurement data types: how a collected value is read, and what comparisons it allows.

A data type turns a raw value (from JSON, YAML, a command's output, a database row) into its
canonical form or says why it cannot, and declares its *capabilities*; a comparison needs one
capability (see :mod:`assay.audit.comparisons`), which is how a spec that pairs a comparison
with a type it cannot compare is refused when it is loaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assay.audit.registry import Registry
from assay.errors import shorten

__all__ = [
    "DATA_TYPES",
    "EQUALITY",
    "ORDER",
    "TEXT",
    "DataType",
    "ValueMismatchError",
]

# Capabilities a data type can offer.
EQUALITY = "equality"
ORDER = "order"
TEXT = "text"


class ValueMismatchError(ValueError):
    """A value does not fit a data type; the message says what was found and what fits."""


@dataclass(frozen=True)
class DataType:
    """A kind of measured value.

    ``read(value, scale)`` returns the canonical value or raises :class:`ValueMismatchError`;
    ``key(value, scale)`` orders canonical values (for ``order`` types); ``needs_scale`` says
    that measurements of this type must declare their ordered ``scale``.
    """

    name: str
    capabilities: frozenset[str]
    read: Callable[[Any, Sequence[Any]], Any]
    key: Callable[[Any, Sequence[Any]], Any] = lambda value, scale: value
    needs_scale: bool = False
    description: str = ""


def _numeric(value: Any, scale: Sequence[Any]) -> float | int:
    if isinstance(value, bool):
        raise ValueMismatchError(f"{value!r} is a boolean, not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit() and len(text) <= _DIGITS:
            return int(text)
        try:
            number = float(text)
        except ValueError:
            raise ValueMismatchError(f"{_shape(value)} is not a number") from None
    else:
        raise ValueMismatchError(f"{_shape(value)} is not a number")
    if not math.isfinite(number):
        # NaN compares false with everything and infinity beats every threshold: neither is a
        # measurement, whatever a file or a pushed value says.
        raise ValueMismatchError(f"{_shape(value)} is not a finite number")
    return number


_DIGITS = 4300  # Python's limit for converting decimal text to int


_TRUE = {"true", "yes", "1", "pass", "passed"}
_FALSE = {"false", "no", "0", "fail", "failed"}


def _boolean(value: Any, scale: Sequence[Any]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueMismatchError(f"{_shape(value)} is not a boolean (true/false, yes/no, 1/0)")


def _string(value: Any, scale: Sequence[Any]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueMismatchError(f"{value!r} is not a finite number")
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    raise ValueMismatchError(f"{_shape(value)} is not a string")


def _ordinal(value: Any, scale: Sequence[Any]) -> Any:
    for step in scale:
        if value == step or str(value).strip() == str(step):
            return step
    listed = shorten(", ".join(repr(step) for step in scale), 200)
    raise ValueMismatchError(f"{_shape(value)} is not on the scale [{listed}]")


def _rank(value: Any, scale: Sequence[Any]) -> int:
    return list(scale).index(value)


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "null"
    return shorten(repr(value), 80)


DATA_TYPES: Registry[DataType] = Registry("data type")
for _type in (
    DataType(
        "numeric",
        frozenset({EQUALITY, ORDER}),
        _numeric,
        description="a number; numeric text such as '0.91' is read as a number",
    ),
    DataType(
        "ordinal",
        frozenset({EQUALITY, ORDER}),
        _ordinal,
        _rank,
        needs_scale=True,
        description="one step of an ordered scale that the measurement declares (scale: [...])",
    ),
    DataType(
        "boolean",
        frozenset({EQUALITY}),
        _boolean,
        description="true or false (also yes/no, 1/0, pass/fail)",
    ),
    DataType(
        "string",
        frozenset({EQUALITY, TEXT}),
        _string,
        description="text; numbers and booleans are read as their text",
    ),
):
    DATA_TYPES.register(_type.name, _type)

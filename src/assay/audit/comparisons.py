"""Comparison strategies: how a measured value is judged against its target.

Each strategy needs one capability of the data type (:mod:`assay.audit.datatypes`) and says
what shape its target has. :func:`prepare_target` checks a target when a spec is loaded;
:func:`holds` judges a value when a run evaluates it. Names are snake case; the sources'
spellings (``LessThan``, ``InRange``) are accepted as well.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from assay.audit.datatypes import EQUALITY, ORDER, TEXT, DataType, ValueMismatchError
from assay.audit.registry import Registry

__all__ = [
    "COMPARISONS",
    "Comparison",
    "TargetError",
    "TargetShape",
    "holds",
    "prepare_target",
]


class TargetError(ValueError):
    """A target that does not suit its comparison or data type."""


class TargetShape(StrEnum):
    """What a comparison's target is."""

    value = "value"  # one value of the data type
    range = "range"  # [low, high], inclusive, low <= high
    values = "values"  # a non-empty list of values of the data type
    pattern = "pattern"  # a regular expression
    text = "text"  # a piece of text


@dataclass(frozen=True)
class Comparison:
    """A strategy: ``test(value, target, key)`` on canonical values, where ``key`` orders
    values of the data type. ``tolerance`` says whether a numeric tolerance applies."""

    name: str
    requires: str
    target: TargetShape
    test: Callable[[Any, Any, Callable[[Any], Any], float], bool]
    symbol: str
    tolerance: bool = False
    description: str = ""


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    return lambda value, target, key, tolerance: compare(key(value), key(target))


def _equal(value: Any, target: Any, key: Callable[[Any], Any], tolerance: float) -> bool:
    if tolerance and isinstance(value, int | float) and isinstance(target, int | float):
        return abs(value - target) <= tolerance
    return bool(value == target)


def _in_range(value: Any, target: Any, key: Callable[[Any], Any], tolerance: float) -> bool:
    low, high = target
    if tolerance:
        return bool(low - tolerance <= value <= high + tolerance)
    return bool(key(low) <= key(value) <= key(high))


COMPARISONS: Registry[Comparison] = Registry("comparison")
for _comparison in (
    Comparison("less_than", ORDER, TargetShape.value, _ordered(operator.lt), "<"),
    Comparison("less_or_equal", ORDER, TargetShape.value, _ordered(operator.le), "≤"),
    Comparison("greater_than", ORDER, TargetShape.value, _ordered(operator.gt), ">"),
    Comparison("greater_or_equal", ORDER, TargetShape.value, _ordered(operator.ge), "≥"),
    Comparison("equal_to", EQUALITY, TargetShape.value, _equal, "=", tolerance=True),
    Comparison(
        "not_equal_to",
        EQUALITY,
        TargetShape.value,
        lambda value, target, key, tolerance: not _equal(value, target, key, tolerance),
        "≠",
        tolerance=True,
    ),
    Comparison(
        "contains",
        TEXT,
        TargetShape.text,
        lambda value, target, key, tolerance: target in value,
        "contains",
    ),
    Comparison(
        "not_contains",
        TEXT,
        TargetShape.text,
        lambda value, target, key, tolerance: target not in value,
        "does not contain",
    ),
    Comparison("in_range", ORDER, TargetShape.range, _in_range, "in", tolerance=True),
    Comparison(
        "matches",
        TEXT,
        TargetShape.pattern,
        lambda value, target, key, tolerance: re.search(target, value) is not None,
        "matches",
    ),
    Comparison(
        "one_of",
        EQUALITY,
        TargetShape.values,
        lambda value, target, key, tolerance: value in target,
        "one of",
    ),
):
    COMPARISONS.register(_comparison.name, _comparison)


def prepare_target(
    comparison: Comparison,
    data_type: DataType,
    target: Any,
    scale: Sequence[Any] = (),
    tolerance: float | None = None,
) -> Any:
    """The canonical target of a measurement, or :class:`TargetError` saying what is wrong:
    a data type without the capability the comparison needs, a target of the wrong type or
    shape, a range whose bounds are not two and ordered, a bad pattern, a tolerance where none
    applies."""
    if comparison.requires not in data_type.capabilities:
        offered = sorted(data_type.capabilities)
        raise TargetError(
            f"{comparison.name} cannot compare {data_type.name} values "
            f"(it needs {comparison.requires}; {data_type.name} offers {', '.join(offered)})"
        )
    if tolerance is not None:
        if not comparison.tolerance or data_type.name != "numeric":
            raise TargetError(f"a tolerance applies only to numeric {_tolerant()}")
        if tolerance < 0:
            raise TargetError(f"the tolerance {tolerance!r} is negative")
    try:
        return _prepare(comparison, data_type, target, scale)
    except ValueMismatchError as error:
        raise TargetError(f"the target does not fit: {error}") from None


def _tolerant() -> str:
    return "/".join(name for name in COMPARISONS if (c := COMPARISONS.get(name)) and c.tolerance)


def _prepare(comparison: Comparison, data_type: DataType, target: Any, scale: Sequence[Any]) -> Any:
    shape = comparison.target
    if shape is TargetShape.value:
        if isinstance(target, list | dict):
            raise TargetError(f"{comparison.name} needs one value as its target")
        return data_type.read(target, scale)
    if shape is TargetShape.range:
        if not isinstance(target, list) or len(target) != 2:
            raise TargetError("in_range needs two bounds as its target: [low, high]")
        low, high = (data_type.read(bound, scale) for bound in target)
        if data_type.key(low, scale) > data_type.key(high, scale):
            raise TargetError(f"the bounds [{low!r}, {high!r}] are not in order (low first)")
        return [low, high]
    if shape is TargetShape.values:
        if not isinstance(target, list) or not target:
            raise TargetError(f"{comparison.name} needs a non-empty list as its target")
        return [data_type.read(item, scale) for item in target]
    if not isinstance(target, str):
        raise TargetError(f"{comparison.name} needs text as its target")
    if shape is TargetShape.pattern:
        try:
            re.compile(target)
        except re.error as error:
            raise TargetError(f"{target!r} is not a regular expression ({error})") from None
    return target


def holds(
    comparison: Comparison,
    data_type: DataType,
    value: Any,
    target: Any,
    scale: Sequence[Any] = (),
    tolerance: float | None = None,
) -> bool:
    """Whether the canonical ``value`` satisfies the prepared ``target``."""
    return comparison.test(value, target, lambda item: data_type.key(item, scale), tolerance or 0.0)

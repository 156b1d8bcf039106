"""Data types and comparison strategies, checked by properties against Python's own operators."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assay.audit.comparisons import COMPARISONS, Comparison, TargetError, holds, prepare_target
from assay.audit.datatypes import DATA_TYPES, DataType, ValueMismatchError

SCALE_STEPS = st.text(min_size=1, max_size=6).map(str.strip).filter(bool)
finite = st.floats(allow_nan=False, allow_infinity=False)
numbers = st.one_of(finite, st.integers(min_value=-(10**12), max_value=10**12))
ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "less_than": operator.lt,
    "less_or_equal": operator.le,
    "greater_than": operator.gt,
    "greater_or_equal": operator.ge,
    "equal_to": operator.eq,
    "not_equal_to": operator.ne,
}


def strategy(name: str) -> Comparison:
    found = COMPARISONS.get(name)
    assert found is not None
    return found


def data_type(name: str) -> DataType:
    found = DATA_TYPES.get(name)
    assert found is not None
    return found


def judge(
    comparison: str,
    type_name: str,
    value: Any,
    target: Any,
    scale: list[Any] | None = None,
    tolerance: float | None = None,
) -> bool:
    """Read ``value`` and prepare ``target`` as a run does, then compare."""
    kind, how = data_type(type_name), strategy(comparison)
    prepared = prepare_target(how, kind, target, scale or [], tolerance)
    return holds(how, kind, kind.read(value, scale or []), prepared, scale or [], tolerance)


@pytest.mark.parametrize("name", list(ORDERED))
@given(value=numbers, target=numbers)
def test_numeric_order_and_equality_agree_with_python(
    name: str, value: float, target: float
) -> None:
    assert judge(name, "numeric", value, target) is ORDERED[name](value, target)


@given(value=finite)
def test_numeric_text_reads_back_as_the_same_number(value: float) -> None:
    assert data_type("numeric").read(repr(value), []) == value
    assert data_type("numeric").read(f"  {value!r}\n", []) == value


@given(value=finite, low=finite, high=finite, tolerance=st.floats(0, 1e6))
def test_in_range_is_inclusive_and_widened_by_the_tolerance(
    value: float, low: float, high: float, tolerance: float
) -> None:
    low, high = sorted((low, high))
    assert judge("in_range", "numeric", value, [low, high]) is (low <= value <= high)
    widened = judge("in_range", "numeric", value, [low, high], tolerance=tolerance)
    assert widened is (low - tolerance <= value <= high + tolerance)


@given(value=finite, target=finite, tolerance=st.floats(0, 1e6))
def test_equal_to_with_a_tolerance(value: float, target: float, tolerance: float) -> None:
    near = abs(value - target) <= tolerance
    assert judge("equal_to", "numeric", value, target, tolerance=tolerance) is near
    assert judge("not_equal_to", "numeric", value, target, tolerance=tolerance) is (not near)


@given(value=numbers, options=st.lists(numbers, min_size=1, max_size=5))
def test_one_of_is_membership(value: float, options: list[float]) -> None:
    assert judge("one_of", "numeric", value, options) is (value in options)


@given(
    scale=st.lists(SCALE_STEPS, min_size=2, max_size=6, unique=True),
    data=st.data(),
)
def test_ordinal_compares_by_position_on_the_scale(scale: list[str], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(scale) - 1))
    j = data.draw(st.integers(0, len(scale) - 1))
    for name, compare in ORDERED.items():
        assert judge(name, "ordinal", scale[i], scale[j], scale) is compare(i, j)
    low, high = sorted((i, j))
    k = data.draw(st.integers(0, len(scale) - 1))
    assert judge("in_range", "ordinal", scale[k], [scale[low], scale[high]], scale) is (
        low <= k <= high
    )


@given(value=st.text(), target=st.text())
def test_text_comparisons_agree_with_python(value: str, target: str) -> None:
    assert judge("contains", "string", value, target) is (target in value)
    assert judge("not_contains", "string", value, target) is (target not in value)
    assert judge("matches", "string", value, re.escape(target)) is (target in value)
    assert judge("equal_to", "string", value, target) is (value == target)


@given(value=st.booleans(), target=st.booleans())
def test_booleans_and_their_words(value: bool, target: bool) -> None:
    assert judge("equal_to", "boolean", value, target) is (value == target)
    words = {True: ["true", "Yes", "1", "pass"], False: ["false", "NO", "0", "failed"]}
    for word in words[value]:
        assert data_type("boolean").read(word, []) is value


@pytest.mark.parametrize("type_name", ["numeric", "ordinal", "boolean", "string"])
@pytest.mark.parametrize("name", COMPARISONS.names())
def test_every_pair_is_accepted_exactly_when_the_type_can_compare(
    type_name: str, name: str
) -> None:
    kind, how = data_type(type_name), strategy(name)
    scale = ["low", "medium", "high"]
    targets: dict[str, dict[str, Any]] = {
        "numeric": {"value": 1, "range": [0, 1], "values": [1, 2]},
        "ordinal": {"value": "low", "range": ["low", "high"], "values": ["low"]},
        "boolean": {"value": True, "range": [False, True], "values": [True]},
        "string": {"value": "x", "range": ["a", "b"], "values": ["x"]},
    }
    target = (targets[type_name] | {"pattern": "^x", "text": "x"})[how.target.value]
    if how.requires in kind.capabilities:
        prepare_target(how, kind, target, scale)
    else:
        with pytest.raises(TargetError, match=f"{name} cannot compare {type_name} values"):
            prepare_target(how, kind, target, scale)


@pytest.mark.parametrize(
    ("name", "type_name", "target", "message"),
    [
        ("in_range", "numeric", [3, 1], "not in order"),
        ("in_range", "numeric", [1], "two bounds"),
        ("in_range", "numeric", 5, "two bounds"),
        ("greater_than", "numeric", "high", "'high' is not a number"),
        ("greater_than", "numeric", [1, 2], "one value"),
        ("one_of", "numeric", [], "non-empty list"),
        ("matches", "string", "([", "not a regular expression"),
        ("less_than", "ordinal", "huge", "not on the scale"),
        ("equal_to", "boolean", "maybe", "not a boolean"),
    ],
)
def test_bad_targets_say_what_is_wrong(
    name: str, type_name: str, target: Any, message: str
) -> None:
    with pytest.raises(TargetError, match=re.escape(message)):
        prepare_target(strategy(name), data_type(type_name), target, ["low", "high"])


def test_tolerance_only_where_it_applies() -> None:
    with pytest.raises(TargetError, match="a tolerance applies only to numeric"):
        prepare_target(strategy("greater_than"), data_type("numeric"), 1, [], 0.1)
    with pytest.raises(TargetError, match="negative"):
        prepare_target(strategy("in_range"), data_type("numeric"), [0, 1], [], -0.1)


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("LessThan", "less_than"),
        ("GreaterOrEqual", "greater_or_equal"),
        ("EqualTo", "equal_to"),
        ("NotEqualTo", "not_equal_to"),
        ("Contains", "contains"),
        ("InRange", "in_range"),
        ("OneOf", "one_of"),
        ("Matches", "matches"),
    ],
)
def test_the_sources_spellings_are_accepted(spelling: str, name: str) -> None:
    assert strategy(spelling) is strategy(name)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "is a boolean, not a number"),
        ("ninety", "'ninety' is not a number"),
        ([1], "a list is not a number"),
        (None, "null is not a number"),
        (math.nan, "nan is not a finite number"),
        (math.inf, "inf is not a finite number"),
        (-math.inf, "-inf is not a finite number"),
        ("Infinity", "'Infinity' is not a finite number"),
        ("1e999", "'1e999' is not a finite number"),
        ("nan", "'nan' is not a finite number"),
    ],
)
def test_values_that_are_not_numbers(value: Any, message: str) -> None:
    with pytest.raises(ValueMismatchError, match=re.escape(message)):
        data_type("numeric").read(value, [])

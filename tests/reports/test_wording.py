"""How human reports write numbers, targets and failures, against hand computations."""

from __future__ import annotations

import math

import pytest

from assay.reports.numbers import distinct, seconds, significant
from assay.reports.wording import label, shortfall, show, target_text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.818181, "0.818"),
        (0.74, "0.74"),
        (1.0, "1"),
        (12.3456, "12.3"),
        (1234.6, "1235"),
        (-0.5, "-0.5"),
        (0.00012345, "0.000123"),
        (1.2345e-05, "1.23e-05"),
        (1e20, "1.00e+20"),
        (0.0, "0"),
        (math.inf, "inf"),
    ],
)
def test_significant_digits(value: float, written: str) -> None:
    assert significant(value) == written


def test_every_finite_value_written_is_within_half_a_unit_of_its_last_digit() -> None:
    for value in (0.123456, 98.7654, 0.0098765, 543.21, 7.0001):
        text = significant(value)
        digits = [c for c in text.lstrip("-0.") if c.isdigit()]
        assert 1 <= len(digits) <= 3 or "." not in text
        assert abs(float(text) - value) <= 0.5 * 10 ** (math.floor(math.log10(value)) - 2)


def test_numbers_that_would_look_equal_get_more_digits() -> None:
    assert distinct(0.7999, 0.8) == ("0.7999", "0.8")
    assert distinct(0.74, 0.8) == ("0.74", "0.8")
    assert distinct(0.8, 0.8) == ("0.8", "0.8")


def test_timestamps_to_the_second_in_utc() -> None:
    assert seconds("2026-12-01T17:19:45.123456+00:00") == "2026-12-01 17:19:45 UTC"
    assert seconds("2026-12-01T19:19:45+02:00") == "2026-12-01 17:19:45 UTC"
    assert seconds("not a time") == "not a time"
    assert seconds(None) == ""


def test_names_targets_and_failures_read_as_sentences() -> None:
    node = {
        "id": "accuracy",
        "name": "Accuracy",
        "outcome": "fail",
        "value": 0.7412,
        "comparison": "greater_or_equal",
        "target": 0.8,
    }
    assert label(node) == "Accuracy (accuracy)"
    assert label({"id": "x", "name": "x"}) == "x"
    assert target_text(node) == "≥ 0.8"
    assert shortfall(node) == "0.741 is below the target ≥ 0.8"
    ranged = {**node, "comparison": "in_range", "target": [100, 110], "tolerance": 15, "value": 130}
    assert target_text(ranged) == "in [100, 110] ± 15"
    assert shortfall(ranged) == "130 is outside the range [100, 110]"
    assert shortfall({**node, "comparison": "less_than", "value": 0.2, "target": 0.1}) == (
        "0.2 is not below the target < 0.1"
    )
    assert show([0.123456, 2]) == "[0.123, 2]"
    assert show(None) == ""

"""How human reports write numbers and times: values to significant digits (JSON keeps full
precision), timestamps to the second in UTC."""

from __future__ import annotations

import math
from datetime import UTC, datetime

__all__ = ["SIGNIFICANT_DIGITS", "distinct", "seconds", "significant"]

SIGNIFICANT_DIGITS = 3


def significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> str:
    """``value`` rounded to ``digits`` significant digits, without an exponent for numbers a
    reader writes plainly: 0.818181 → "0.818", 1234.6 → "1235", 0.00012345 → "0.000123";
    an exponent only below 1e-4 or at 1e15 and above."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 10**digits:
        return f"{value:.{digits - 1}e}" if magnitude >= 1e15 else str(round(value))
    if magnitude < 1e-4:
        return f"{value:.{digits - 1}e}"
    decimals = digits - 1 - math.floor(math.log10(magnitude))
    text = f"{round(value, decimals):.{max(decimals, 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def distinct(value: float, other: float) -> tuple[str, str]:
    """``value`` and ``other`` to as few significant digits (at least the usual) as keep them
    apart, so 0.7999 against 0.8 is not shown as "0.8 is below 0.8"."""
    for digits in range(SIGNIFICANT_DIGITS, 18):
        shown = significant(value, digits), significant(other, digits)
        if shown[0] != shown[1] or value == other:
            return shown
    return repr(value), repr(other)


def seconds(timestamp: object) -> str:
    """An ISO 8601 timestamp to the second, in UTC ("2026-12-01 17:19:45 UTC"); text that is
    not a timestamp is returned as it is."""
    if timestamp is None:
        return ""
    try:
        moment = datetime.fromisoformat(str(timestamp))
    except ValueError:
        return str(timestamp)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

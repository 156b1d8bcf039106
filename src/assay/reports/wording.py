"""How human reports name elements, write targets and explain a failure ("0.74 is below the
target ≥ 0.8"). Numbers go to significant digits (:mod:`assay.reports.numbers`); JSON output
never passes through here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from assay.audit.comparisons import COMPARISONS
from assay.reports.numbers import distinct, significant

__all__ = ["label", "pair", "reason", "rounded", "shortfall", "show", "target_text"]

# How a failed comparison reads: "{value} … {target}".
_FAILED = {
    "greater_or_equal": "is below the target ≥",
    "greater_than": "is not above the target >",
    "less_or_equal": "is above the target ≤",
    "less_than": "is not below the target <",
    "equal_to": "is not the target",
    "not_equal_to": "is the excluded value",
    "in_range": "is outside the range",
    "one_of": "is not one of",
    "matches": "does not match",
    "contains": "does not contain",
    "not_contains": "contains",
}


def rounded(value: Any) -> Any:
    """``value`` with every float in it rounded to significant digits (for display only)."""
    if isinstance(value, float):
        return float(significant(value))
    if isinstance(value, list):
        return [rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value


def show(value: Any) -> str:
    """A value as a human report shows it: floats to significant digits, lists and objects as
    JSON (their floats rounded too), nothing for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        return significant(value)
    if isinstance(value, list | dict):
        return json.dumps(rounded(value), ensure_ascii=False)
    return str(value)


def label(node: Mapping[str, Any]) -> str:
    """An element as readers know it: its name with its id ("Accuracy (accuracy)"), or the id
    alone when the name is the id."""
    name, identifier = str(node.get("name") or ""), str(node["id"])
    if not name or name == identifier:
        return identifier
    return f"{name} ({identifier})"


def _symbol(comparison: str) -> str:
    known = COMPARISONS.get(comparison)
    return known.symbol if known is not None else comparison


def target_text(node: Mapping[str, Any]) -> str:
    """A measurement's target as "≥ 0.8", "in [100, 110] ± 15", "one of [a, b]"; empty for
    an element without one."""
    comparison = node.get("comparison")
    if not comparison:
        return ""
    text = f"{_symbol(comparison)} {show(node.get('target'))}"
    tolerance = node.get("tolerance")
    if isinstance(tolerance, int | float) and not isinstance(tolerance, bool) and tolerance:
        text += f" ± {show(tolerance)}"
    return text


def pair(value: Any, target: Any) -> tuple[str, str]:
    """A value and its target as text, numbers to as many digits as keep them apart."""
    plain = (int, float)
    if (
        isinstance(value, plain)
        and isinstance(target, plain)
        and not isinstance(value, bool)
        and not isinstance(target, bool)
    ):
        return distinct(float(value), float(target))
    return show(value), show(target)


def shortfall(node: Mapping[str, Any]) -> str:
    """Why a failed measurement failed, in words: "0.74 is below the target ≥ 0.8"."""
    comparison = str(node.get("comparison") or "")
    value, target = pair(node.get("value"), node.get("target"))
    if comparison in _FAILED:
        return f"{value} {_FAILED[comparison]} {target}"
    return f"{value} does not meet the target {_symbol(comparison)} {target}"


def reason(node: Mapping[str, Any]) -> str:
    """The "source / reason" of an element in a report: who assessed, attested or waived it,
    then its error, or why it failed and where its value came from."""
    parts = []
    if node.get("assessor"):
        parts.append(f"assessed by {node['assessor']}")
    if node.get("attested_by"):
        parts.append(f"attested by {node['attested_by']}")
    if node.get("waiver"):
        waiver = node["waiver"]
        parts.append(f"waived by {waiver['by']} until {str(waiver['expires'])[:10]}")
    if node.get("error"):
        parts.append(str(node["error"]))
    else:
        if node.get("outcome") == "fail" and node.get("comparison"):
            parts.append(shortfall(node))
        if node.get("source"):
            parts.append(str(node["source"]))
    return "; ".join(parts)

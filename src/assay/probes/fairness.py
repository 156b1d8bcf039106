"""Fairness of binary decisions across the groups of a sensitive feature, with fairlearn's
definitions (its functions are the oracle in the tests).

- selection rate: share of positive predictions; demographic parity difference and ratio: the
  largest minus the smallest group selection rate, and the smallest over the largest;
- true and false positive rates per group; equal opportunity difference: the spread of the
  true positive rates; equalized odds difference: the larger of the spreads of the true and the
  false positive rates;
- the four-fifths rule: every group's selection rate is at least 80 % of the highest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["FOUR_FIFTHS", "group_fairness"]

Array = npt.NDArray[Any]
FOUR_FIFTHS = 0.8


def _rate(hits: Array, among: Array) -> float:
    return float(hits[among].mean()) if among.any() else float("nan")


def group_fairness(
    y_true: Array, y_pred: Array, sensitive: Array, *, positive: Any = 1
) -> dict[str, Any]:
    """Per group: rows, selection rate, true and false positive rates and accuracy; and the
    disparities of the module docstring. ``ValueError`` when the sensitive feature has fewer
    than two groups or lengths differ."""
    if not len(y_true) == len(y_pred) == len(sensitive):
        raise ValueError("labels, predictions and the sensitive feature differ in length")
    groups = sorted({str(g) for g in sensitive.tolist() if g is not None})
    if len(groups) < 2:
        raise ValueError(f"the sensitive feature has {len(groups)} group; at least two are needed")
    truth = np.asarray(y_true == positive)
    predicted = np.asarray(y_pred == positive)
    names = np.asarray([str(g) for g in sensitive.tolist()])
    per_group: dict[str, dict[str, float]] = {}
    for group in groups:
        member = names == group
        per_group[group] = {
            "rows": float(member.sum()),
            "selection_rate": float(predicted[member].mean()),
            "true_positive_rate": _rate(predicted, member & truth),
            "false_positive_rate": _rate(predicted, member & ~truth),
            "accuracy": float((predicted[member] == truth[member]).mean()),
        }
    selection = [g["selection_rate"] for g in per_group.values()]
    tpr = [g["true_positive_rate"] for g in per_group.values()]
    fpr = [g["false_positive_rate"] for g in per_group.values()]
    highest = max(selection)
    ratio = min(selection) / highest if highest > 0 else float("nan")
    return {
        "groups": per_group,
        "demographic_parity_difference": max(selection) - min(selection),
        "demographic_parity_ratio": ratio,
        "equal_opportunity_difference": float(np.nanmax(tpr) - np.nanmin(tpr)),
        "equalized_odds_difference": float(
            max(np.nanmax(tpr) - np.nanmin(tpr), np.nanmax(fpr) - np.nanmin(fpr))
        ),
        "four_fifths_rule": bool(ratio >= FOUR_FIFTHS),
    }

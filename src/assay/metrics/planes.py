"""What the measured delivery and ML figures say about the level answered for each plane of
the AI-first framework: per figure, whether it supports or contradicts the answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Expectation", "PlaneCatalog", "plane_evidence"]

TIER_ORDER = {"low": 0, "medium": 1, "high": 2, "elite": 3}
# Where each figure is in the DORA and ML reports: (report, group, key, tier key or None).
FIGURES: dict[str, tuple[str, str, str, str | None]] = {
    "deployment_frequency": ("dora", "deployment_frequency", "per_week", "deployment_frequency"),
    "lead_time": ("dora", "lead_time_hours", "median", "lead_time"),
    "change_failure_rate": ("dora", "change_failure_rate", "value", "change_failure_rate"),
    "recovery_time": ("dora", "recovery_time_hours", "median", "recovery_time"),
    "rework_rate": ("dora", "rework_rate", "value", None),
    "time_to_retrain": ("ml", "time_to_retrain_hours", "median", None),
    "data_freshness_lag": ("ml", "data_freshness_lag_hours", "median", None),
    "governance_coverage": ("ml", "governance_coverage", "value", None),
    "explainability_coverage": ("ml", "explainability_coverage", "value", None),
}


class Expectation(BaseModel):
    """What a level leads one to expect of a figure: a tier at least this good, or bounds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: Literal["low", "medium", "high", "elite"] | None = None
    at_least: float | None = None
    at_most: float | None = None


class _Figure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    figure: Literal[
        "deployment_frequency",
        "lead_time",
        "change_failure_rate",
        "recovery_time",
        "rework_rate",
        "time_to_retrain",
        "data_freshness_lag",
        "governance_coverage",
        "explainability_coverage",
    ]
    why: str
    expect: dict[int, Expectation] = Field(min_length=1)


class PlaneCatalog(BaseModel):
    """``catalog/metrics/planes.yaml``: the figures bearing on each plane."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    framework: str
    source: dict[str, str]
    planes: dict[str, list[_Figure]]


def _expected(figure: _Figure, level: int) -> Expectation | None:
    """The expectation of the highest level at or below ``level`` that names one."""
    levels = [at for at in figure.expect if at <= level]
    return figure.expect[max(levels)] if levels else None


def plane_evidence(
    catalog: PlaneCatalog,
    levels: Mapping[str, int | None],
    dora: Mapping[str, Any],
    ml: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """For each plane answered and each figure bearing on it: the measured value (and tier),
    what the answered level leads one to expect, and ``supports``, ``contradicts`` or
    ``no data``."""
    reports = {"dora": dora, "ml": ml}
    rows = []
    for plane, figures in catalog.planes.items():
        level = levels.get(plane)
        if level is None:
            continue
        for figure in figures:
            expectation = _expected(figure, level)
            if expectation is None:
                continue
            report, group, key, tier_key = FIGURES[figure.figure]
            value = reports[report][group][key]
            tier = reports[report].get("tiers", {}).get(tier_key) if tier_key else None
            rows.append(
                {
                    "plane": plane,
                    "level": level,
                    "figure": figure.figure,
                    "value": value,
                    "tier": tier,
                    "expected": expectation.model_dump(exclude_none=True),
                    "verdict": _verdict(expectation, value, tier),
                    "why": figure.why,
                }
            )
    return rows


def _verdict(expectation: Expectation, value: float | None, tier: str | None) -> str:
    if value is None:
        return "no data"
    if expectation.tier is not None:
        if tier is None:
            return "no data"
        met = TIER_ORDER[tier] >= TIER_ORDER[expectation.tier]
    else:
        met = (expectation.at_least is None or value >= expectation.at_least) and (
            expectation.at_most is None or value <= expectation.at_most
        )
    return "supports" if met else "contradicts"

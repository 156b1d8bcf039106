"""DORA's performance clusters as data, and the tier a measured figure falls in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["METRICS", "TierBand", "TierCatalog", "classify", "tiers_of"]

# The keys of a DORA figure set each tier metric reads, and how it reads it.
METRICS = {
    "deployment_frequency": ("deployment_frequency", "per_week"),
    "lead_time": ("lead_time_hours", "median"),
    "change_failure_rate": ("change_failure_rate", "value"),
    "recovery_time": ("recovery_time_hours", "median"),
}


class TierBand(BaseModel):
    """One cluster of one metric: its name, the bound that admits a value, what was published."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: Literal["elite", "high", "medium", "low"]
    bound: float | None = None
    published: str


class _MetricInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str
    direction: Literal["higher", "lower"]


class TierCatalog(BaseModel):
    """The clusters of every report year (``catalog/metrics/dora-tiers.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    source: dict[str, str]
    metrics: dict[str, _MetricInfo]
    years: dict[int, dict[str, list[TierBand]]] = Field(min_length=1)

    @model_validator(mode="after")
    def _well_formed(self) -> TierCatalog:
        for year, metrics in self.years.items():
            for metric, bands in metrics.items():
                if metric not in self.metrics:
                    raise ValueError(f"years.{year}.{metric}: not a metric of the catalog")
                if not bands or bands[-1].bound is not None:
                    raise ValueError(f"years.{year}.{metric}: the last tier must have no bound")
                if any(band.bound is None for band in bands[:-1]):
                    raise ValueError(f"years.{year}.{metric}: every tier but the last needs one")
        return self

    @property
    def latest(self) -> int:
        """The newest report year."""
        return max(self.years)


def classify(catalog: TierCatalog, year: int, metric: str, value: float | None) -> str | None:
    """The tier of ``value`` for ``metric`` in ``year``'s clusters; None without a value."""
    if value is None:
        return None
    higher = catalog.metrics[metric].direction == "higher"
    for band in catalog.years[year][metric]:
        if band.bound is None:
            return band.tier
        if (value >= band.bound) if higher else (value < band.bound):
            return band.tier
    raise AssertionError("unreachable: the last band has no bound")


def tiers_of(catalog: TierCatalog, year: int, figures: Mapping[str, Any]) -> dict[str, Any]:
    """The tier of each key in a DORA figure set (``None`` where the figure is missing), with
    the year and source of the clusters."""
    tiers: dict[str, Any] = {"year": year, "source": catalog.source.get("title")}
    for metric, (group, key) in METRICS.items():
        if metric in catalog.years[year]:
            tiers[metric] = classify(catalog, year, metric, figures[group][key])
    return tiers

"""The everyday "what changed in my data" page: data quality and drift per column, with a
distribution chart each, in one self-contained HTML file. Any engine's tables can be shown:
the page needs of each data set only what :class:`ReportedData` lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
from markupsafe import Markup

from assay.probes import quality
from assay.probes.drift import DatasetDrift
from assay.probes.table import Table
from assay.reports.charts import distribution_svg
from assay.reports.templating import template_environment

__all__ = ["CHART_SAMPLE", "InMemoryData", "ReportedData", "data_report"]

CHART_SAMPLE = 200_000  # values per sample drawn in a histogram (statistics use all)


class ReportedData(Protocol):
    """What the page shows of a data set, whichever engine holds it."""

    def is_numeric(self, name: str) -> bool: ...

    def counts(self, name: str) -> dict[str, int]: ...

    def missing_ratios(self, columns: Sequence[str] | None = None) -> dict[str, float]: ...

    def duplicate_ratio(self, columns: Sequence[str] | None = None) -> float: ...

    def numeric_sample(self, name: str, limit: int) -> np.ndarray[Any, Any]: ...


class InMemoryData:
    """A :class:`~assay.probes.table.Table` as :class:`ReportedData`."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._rng = np.random.default_rng(0)

    def is_numeric(self, name: str) -> bool:
        """The column holds numbers."""
        return self.table.is_numeric(name)

    def counts(self, name: str) -> dict[str, int]:
        """How often each value (as text) occurs."""
        return self.table.counts(name)

    def missing_ratios(self, columns: Sequence[str] | None = None) -> dict[str, float]:
        """Share of missing values in each column."""
        return quality.missing_ratios(self.table, columns)

    def duplicate_ratio(self, columns: Sequence[str] | None = None) -> float:
        """Share of rows repeating an earlier row."""
        return quality.duplicate_ratio(self.table, columns)

    def numeric_sample(self, name: str, limit: int) -> np.ndarray[Any, Any]:
        """At most ``limit`` of the column's non-missing values, drawn without replacement."""
        values = self.table.numeric(name)
        values = values[~np.isnan(values)]
        if values.size <= limit:
            return values
        return self._rng.choice(values, limit, replace=False)


def _shares(data: ReportedData, name: str) -> dict[str, float]:
    counts = data.counts(name)
    total = sum(counts.values()) or 1
    return {str(k): v / total for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}


def data_report(
    reference: ReportedData,
    current: ReportedData,
    drift: DatasetDrift,
    files: Mapping[str, Mapping[str, Any]],
    on_column: Callable[[int, int], None] | None = None,
) -> str:
    """The HTML page comparing ``current`` with ``reference`` column by column as ``drift``
    found them; ``files`` describes each role's file (``path``, ``rows``, ``sha256``);
    ``on_column(done, total)`` is called as each column is charted."""
    names = [c.column for c in drift.columns]
    missing_reference = reference.missing_ratios(names)
    missing_current = current.missing_ratios(names)
    rows = []
    for done, column in enumerate(drift.columns, start=1):
        name = column.column
        if reference.is_numeric(name) and column.kind == "numeric":
            chart = distribution_svg(
                reference.numeric_sample(name, CHART_SAMPLE),
                current.numeric_sample(name, CHART_SAMPLE),
                title=name,
            )
        else:
            chart = distribution_svg(_shares(reference, name), _shares(current, name), title=name)
        rows.append(
            {
                "drift": column.to_dict(),
                "missing_reference": missing_reference[name],
                "missing_current": missing_current[name],
                "chart": Markup(chart),
            }
        )
        if on_column is not None:
            on_column(done, len(drift.columns))
    return (
        template_environment(html=True)
        .get_template("probe_report.html.j2")
        .render(
            reference=files["reference"],
            current=files["current"],
            drift=drift,
            rows=rows,
            duplicates=current.duplicate_ratio(),
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )

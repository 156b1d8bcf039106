"""The everyday "what changed in my data" page: data quality and drift per column, with a
distribution chart each, in one self-contained HTML file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
from markupsafe import Markup

from assay.probes import quality
from assay.probes.catalog import ProbeInputs
from assay.probes.table import Table
from assay.reports.charts import distribution_svg
from assay.reports.templating import template_environment

__all__ = ["data_report"]

_CHART_SAMPLE = 200_000  # values per sample drawn in a histogram (statistics use all)


def _sample(values: np.ndarray[Any, Any], rng: np.random.Generator) -> np.ndarray[Any, Any]:
    values = values[~np.isnan(values)]
    return (
        rng.choice(values, _CHART_SAMPLE, replace=False) if values.size > _CHART_SAMPLE else values
    )


def _shares(table: Table, name: str) -> dict[str, float]:
    counts = table.counts(name)
    total = sum(counts.values()) or 1
    return {str(k): v / total for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}


def data_report(
    reference: Table,
    current: Table,
    columns: list[str] | None = None,
    on_column: Callable[[int, int], None] | None = None,
) -> str:
    """The HTML page comparing ``current`` with ``reference`` (every shared column, or
    ``columns``); ``on_column(done, total)`` is called as each column is charted."""
    inputs = ProbeInputs(reference, current, parameters={"columns": columns} if columns else {})
    drift = inputs.drift
    missing_reference = quality.missing_ratios(reference, [c.column for c in drift.columns])
    missing_current = quality.missing_ratios(current, [c.column for c in drift.columns])
    rng = np.random.default_rng(0)
    rows = []
    for done, column in enumerate(drift.columns, start=1):
        name = column.column
        if reference.is_numeric(name) and column.kind == "numeric":
            chart = distribution_svg(
                _sample(reference.numeric(name), rng),
                _sample(current.numeric(name), rng),
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
            reference=reference,
            current=current,
            drift=drift,
            rows=rows,
            duplicates=quality.duplicate_ratio(current),
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )

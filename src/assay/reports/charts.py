"""Charts drawn with matplotlib and returned as SVG text to inline into HTML reports.

Figures are built through matplotlib's object API (no pyplot global state), and the SVG is
made reproducible: no date, fixed element ids, text kept as text so a report is searchable.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported when a chart is drawn: it is slow to import
    from matplotlib.figure import Figure

__all__ = ["ChartSeries", "radar_svg"]

# Each series is tagged with this id prefix in the SVG (radar: ``series-0``, ``series-1`` …;
# bars: ``series-0-0`` for the first series' first bar), so tests and stylesheets find it.
SERIES_ID = "series-"
_LABEL_WIDTH = 18


@dataclass(frozen=True)
class ChartSeries:
    """One line of the chart: a label and a value per axis id (None where there is none)."""

    label: str
    values: Mapping[str, float | None]


def radar_svg(
    axes: Sequence[tuple[str, str]],
    series: Sequence[ChartSeries],
    *,
    maximum: float,
    ticks: Sequence[float],
    tick_labels: Sequence[str] | None = None,
    title: str | None = None,
) -> str:
    """An ``<svg>`` element (no XML prolog) plotting every series over ``axes``
    (``(id, label)`` pairs) from 0 to ``maximum``. With three or more axes it is a radar
    (spider) chart, otherwise grouped horizontal bars. A missing value leaves a gap in its
    series instead of being drawn as zero."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with rc_context({"svg.hashsalt": "assay", "svg.fonttype": "none", "svg.id": "chart"}):
        figure = Figure(figsize=(7.5, 6.0) if len(axes) >= 3 else (7.5, 1.2 + 0.5 * len(axes)))
        FigureCanvasSVG(figure)
        if len(axes) >= 3:
            _radar(figure, axes, series, maximum, ticks, tick_labels)
        else:
            _bars(figure, axes, series, maximum, ticks, tick_labels)
        if title:
            figure.suptitle(title)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _wrapped(label: str) -> str:
    return "\n".join(textwrap.wrap(label, _LABEL_WIDTH)) or label


def _radar(
    figure: Figure,
    axes: Sequence[tuple[str, str]],
    series: Sequence[ChartSeries],
    maximum: float,
    ticks: Sequence[float],
    tick_labels: Sequence[str] | None,
) -> None:
    from matplotlib.projections.polar import PolarAxes

    polar = figure.add_subplot(projection="polar")
    assert isinstance(polar, PolarAxes)  # narrows the type for mypy
    angles = [2 * math.pi * i / len(axes) for i in range(len(axes))]
    polar.set_theta_offset(math.pi / 2)
    polar.set_theta_direction(-1)
    polar.set_xticks(angles, [_wrapped(label) for _, label in axes], fontsize=9)
    polar.set_ylim(0, maximum)
    polar.set_yticks(list(ticks), list(tick_labels or [f"{t:g}" for t in ticks]), fontsize=8)
    polar.set_rlabel_position(180 / len(axes))  # between the first two spokes
    polar.tick_params(axis="x", pad=6)
    for number, line in enumerate(series):
        values = [_value(line.values.get(axis_id)) for axis_id, _ in axes]
        closed_angles, closed_values = [*angles, angles[0]], [*values, values[0]]
        (drawn,) = polar.plot(closed_angles, closed_values, marker="o", linewidth=1.8)
        drawn.set_label(line.label)
        drawn.set_gid(f"{SERIES_ID}{number}")
        if all(not math.isnan(v) for v in values):
            polar.fill(closed_angles, closed_values, alpha=0.08, color=drawn.get_color())
    if series:
        polar.legend(loc="upper left", bbox_to_anchor=(1.08, 1.05), fontsize=9, frameon=False)


def _bars(
    figure: Figure,
    axes: Sequence[tuple[str, str]],
    series: Sequence[ChartSeries],
    maximum: float,
    ticks: Sequence[float],
    tick_labels: Sequence[str] | None,
) -> None:
    plot = figure.add_subplot()
    height = 0.8 / max(len(series), 1)
    for number, line in enumerate(series):
        positions = [i + number * height for i in range(len(axes))]
        values = [_value(line.values.get(axis_id)) for axis_id, _ in axes]
        bars = plot.barh(positions, [0 if math.isnan(v) else v for v in values], height=height)
        bars.set_label(line.label)
        for index, bar in enumerate(bars):
            bar.set_gid(f"{SERIES_ID}{number}-{index}")
    plot.set_yticks(
        [i + 0.4 - height / 2 for i in range(len(axes))], [_wrapped(label) for _, label in axes]
    )
    plot.set_xlim(0, maximum)
    plot.set_xticks(list(ticks), list(tick_labels or [f"{t:g}" for t in ticks]))
    if series:
        plot.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)


def _value(value: float | None) -> float:
    return math.nan if value is None else float(value)

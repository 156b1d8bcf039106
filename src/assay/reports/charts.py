"""Charts drawn with matplotlib and returned as SVG text to inline into HTML reports.

Figures are built through matplotlib's object API (no pyplot global state), and the SVG is
made reproducible: no date, fixed element ids, text kept as text so a report is searchable.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported when a chart is drawn: it is slow to import
    from matplotlib.figure import Figure

__all__ = ["ChartSeries", "distribution_svg", "radar_svg", "trend_svg"]

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

    def draw(figure: Figure) -> None:
        if len(axes) >= 3:
            _radar(figure, axes, series, maximum, ticks, tick_labels)
        else:
            _bars(figure, axes, series, maximum, ticks, tick_labels)
        if title:
            figure.suptitle(title)

    size = (7.5, 6.0) if len(axes) >= 3 else (7.5, 1.2 + 0.5 * len(axes))
    return _render_svg(size, draw, root_id="chart", tight_bbox=True)


def _render_svg(
    size: tuple[float, float],
    draw: Callable[[Figure], None],
    *,
    root_id: str | None = None,
    tight_bbox: bool = False,
) -> str:
    """A figure of ``size`` inches drawn by ``draw``, as an ``<svg>`` element without XML
    prolog; reproducible (fixed id salt, no date) and with text kept as text."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with rc_context({"svg.hashsalt": "assay", "svg.fonttype": "none", "svg.id": root_id}):
        figure = Figure(figsize=size)
        FigureCanvasSVG(figure)
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None},
            bbox_inches="tight" if tight_bbox else None,
        )
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


def distribution_svg(
    reference: Iterable[float] | Mapping[str, float],
    current: Iterable[float] | Mapping[str, float],
    *,
    title: str,
) -> str:
    """A small ``<svg>`` comparing two distributions: overlaid histograms of two numeric samples
    (shared bins over the 1st-99th percentile of both), or side-by-side bars of category shares
    (mappings of category to share)."""
    import numpy as np

    def draw(figure: Figure) -> None:
        plot = figure.add_subplot()
        if isinstance(reference, Mapping) and isinstance(current, Mapping):
            names = list(dict.fromkeys([*reference, *current]))[:20]
            positions = np.arange(len(names))
            plot.bar(positions - 0.2, [reference.get(n, 0) for n in names], 0.4, label="reference")
            plot.bar(positions + 0.2, [current.get(n, 0) for n in names], 0.4, label="current")
            plot.set_xticks(positions, names, rotation=45, ha="right", fontsize=7)
            plot.set_ylabel("share", fontsize=8)
        else:
            ref = np.asarray(
                list(reference) if not isinstance(reference, np.ndarray) else reference, dtype=float
            )
            cur = np.asarray(
                list(current) if not isinstance(current, np.ndarray) else current, dtype=float
            )
            both = np.concatenate([ref, cur])
            low, high = np.percentile(both, [1, 99]) if both.size else (0.0, 1.0)
            if low == high:
                low, high = low - 0.5, high + 0.5
            bins = np.linspace(low, high, 31)
            plot.hist(ref, bins=bins.tolist(), density=True, alpha=0.55, label="reference")
            plot.hist(cur, bins=bins.tolist(), density=True, alpha=0.55, label="current")
            plot.tick_params(labelsize=7)
        plot.set_title(title, fontsize=9)
        plot.legend(fontsize=7, frameon=False)
        figure.tight_layout()

    return _render_svg((4.2, 2.4), draw)


def trend_svg(points: Sequence[tuple[str, float]], *, title: str, target: str | None) -> str:
    """An ``<svg>`` line chart of one measurement's value per run (``(run label, value)`` in
    run order), with its target as a note in the title."""

    def draw(figure: Figure) -> None:
        plot = figure.add_subplot()
        positions = list(range(len(points)))
        (line,) = plot.plot(positions, [value for _, value in points], marker="o")
        line.set_gid(f"{SERIES_ID}0")
        plot.set_xticks(positions, [label for label, _ in points], rotation=45, fontsize=7)
        plot.set_title(f"{title} (target {target})" if target else title, fontsize=10)
        plot.grid(alpha=0.3)

    return _render_svg((6.0, 2.6), draw, tight_bbox=True)

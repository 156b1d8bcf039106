"""Maturity reports as Markdown (wikis, pull requests) and as one self-contained HTML file.

Both render the same model as ``--format json`` (plus names and texts for reading), from the
Jinja2 templates in ``templates/``. The HTML holds its styles and the radar chart inline, so it
opens anywhere without a network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Literal

from jinja2 import Environment
from markupsafe import Markup

from assay.maturity.answers import Assessment
from assay.maturity.frameworks import Framework, FrameworkKind
from assay.maturity.history import History, Round, respondents_payload
from assay.maturity.scoring import ChecklistScore, LevelScore
from assay.reports.charts import ChartSeries, radar_svg
from assay.reports.maturity_json import checklist_score_json, level_score_json
from assay.reports.scan_html import capability_groups
from assay.reports.templating import template_environment

__all__ = ["maturity_chart", "maturity_report", "rounds_chart"]

ReportFormat = Literal["markdown", "html"]


@cache
def _environment(fmt: ReportFormat) -> Environment:
    from assay.reports.maturity_terminal import expectation_text, shown, suggestion
    from assay.reports.metrics_report import figure

    return template_environment(
        html=fmt == "html",
        filters={
            "level": lambda value: "—" if value is None else str(value),
            "figure": figure,
            "expectation": expectation_text,
            "shown": shown,
            "suggestion": suggestion,
        },
    )


def _unsaved_round(score: LevelScore | ChecklistScore, label: str) -> Round:
    if isinstance(score, LevelScore):
        areas = {area.id: area.score for area in score.areas}
        return Round(label, 0, "now", score.framework.id, areas, score.overall)
    yes = {section.id: section.yes for section in score.sections}
    return Round(label, 0, "now", score.framework.id, yes, None)


def _group_names(score: LevelScore | ChecklistScore) -> dict[str, str]:
    groups = score.areas if isinstance(score, LevelScore) else score.sections
    return {group.id: group.name for group in groups}


def maturity_chart(
    score: LevelScore | ChecklistScore, history: History | None, current_label: str
) -> str:
    """The radar chart (inline SVG) of the area scores, or of each checklist section's share of
    yes answers: one line per round of ``history``, or only ``score`` (as ``current_label``)
    when there is no history."""
    rounds = history.rounds if history else (_unsaved_round(score, current_label),)
    return rounds_chart(score.framework, rounds)


def rounds_chart(framework: Framework, rounds: Sequence[Round]) -> str:
    """The radar chart (inline SVG) of saved ``rounds`` of ``framework``: area levels 0-4, or
    each checklist section's share of yes answers."""
    if framework.kind is FrameworkKind.levels:
        axes = [(area.id, area.name) for area in framework.areas]
        lines = [ChartSeries(r.label, dict(r.areas)) for r in rounds]
        return radar_svg(axes, lines, maximum=4, ticks=range(5))
    totals = {section.id: len(section.statements) for section in framework.sections}

    def shares(yes_counts: dict[str, int | None]) -> dict[str, float | None]:
        return {
            section: None if yes is None or not totals.get(section) else yes / totals[section]
            for section, yes in yes_counts.items()
        }

    axes = [(section.id, f"{section.id}. {section.name}") for section in framework.sections]
    return radar_svg(
        axes,
        [ChartSeries(r.label, shares(dict(r.areas))) for r in rounds],
        maximum=1,
        ticks=[0, 0.25, 0.5, 0.75, 1],
        tick_labels=["0", "25%", "50%", "75%", "100%"],
    )


def maturity_report(
    assessment: Assessment,
    score: LevelScore | ChecklistScore,
    fmt: ReportFormat,
    *,
    history: History | None = None,
    measured: Mapping[str, Any] | None = None,
    scanned: Mapping[str, Any] | None = None,
    current_label: str = "now",
    generated: str | None = None,
) -> str:
    """The report of a scored assessment in ``fmt``: overall level or checklist verdict, areas
    or sections, disputed items, the roadmap or the blocking statements, and the saved rounds of
    ``history`` (overlaid on the HTML radar chart, as a table in both). With ``scanned`` (see
    :func:`assay.scan.conflicts.compare_with_evidence`), the conflicts between answers and
    evidence join the discussions to have and the HTML draws the capability map."""
    framework = assessment.framework
    checklist = isinstance(score, ChecklistScore)
    model = (
        checklist_score_json(assessment, score)
        if isinstance(score, ChecklistScore)
        else level_score_json(assessment, score)
    )
    if history is not None and history.rounds:
        last = history.rounds[-1]
        if list(last.respondents) == respondents_payload(assessment):
            current_label = last.label  # scoring the round saved last: show it once
        else:
            history = history.followed_by(_unsaved_round(score, current_label), _group_names(score))
    else:
        history = None
    context: dict[str, Any] = {
        "report": model,
        "checklist": checklist,
        "framework": framework,
        "texts": {statement.id: statement.text for statement in framework.statements},
        "history": history.to_dict() if history else None,
        "current_label": current_label,
        "generated": generated,
        "chart": None,
        "measured": measured,
        "scanned": scanned,
        "capability_groups": capability_groups(scanned["capabilities"]) if scanned else None,
    }
    if fmt == "html":
        context["chart"] = Markup(maturity_chart(score, history, current_label))
    template = _environment(fmt).get_template(f"maturity.{'md' if fmt == 'markdown' else fmt}.j2")
    return template.render(context)

"""Maturity scores for the terminal (``--format table``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from assay.maturity.answers import Assessment
from assay.maturity.history import History
from assay.maturity.rubric import RubricScore
from assay.maturity.scoring import ChecklistScore, LevelScore
from assay.reports.metrics_report import figure

__all__ = [
    "checklist_score_view",
    "evidence_table",
    "history_table",
    "level_score_view",
    "rubric_score_view",
    "shown",
    "suggestion",
]


def _title(assessment: Assessment) -> Text:
    project = f" — {assessment.project}" if assessment.project else ""
    people = len(assessment.respondents)
    who = f"{people} respondents" if people > 1 else "1 respondent"
    return Text(f"{assessment.framework.name}{project} ({who})", style="bold")


def level_score_view(assessment: Assessment, score: LevelScore) -> RenderableType:
    """Overall level, the area table, disputed topics and the roadmap."""
    names = {topic.id: topic.name for topic in assessment.framework.topics}
    overall = (
        Text(f"Overall level {score.overall}: {score.overall_name}", style="bold")
        if score.overall is not None
        else Text("Overall level: open (some topics are unanswered)", style="bold yellow")
    )
    areas = Table("area", "score", "held down by / missing")
    for area in score.areas:
        if area.score is None:
            areas.add_row(
                area.name, "—", Text("missing: " + ", ".join(area.missing), style="yellow")
            )
        else:
            areas.add_row(area.name, str(area.score), ", ".join(area.limiting))
    parts: list[RenderableType] = [_title(assessment), overall, areas]
    if score.disputed:
        disputed = Table("topic", "answers", title="Respondents disagree by 2 levels or more")
        for topic in score.disputed:
            answers = ", ".join(f"{who} {level}" for who, level in topic.answers.items())
            disputed.add_row(f"{topic.id}. {names[topic.id]}", answers)
        parts.append(disputed)
    if score.roadmap:
        roadmap = Table(
            "area",
            "topic",
            "now",
            "next",
            "what it takes",
            title=f"Roadmap to level {score.target}",
        )
        for item in score.roadmap:
            for step in item.steps:
                roadmap.add_row(
                    f"{item.name} ({item.score})",
                    f"{step.topic}. {step.name}",
                    str(step.level),
                    "—" if step.next_level is None else str(step.next_level),
                    step.requirement or "no higher level is described",
                )
        parts.append(roadmap)
    elif any(area.score is None for area in score.areas):
        parts.append(Text("Roadmap: answer the missing topics first."))
    else:
        parts.append(Text(f"No area is below level {score.target}."))
    return Group(*parts)


def checklist_score_view(assessment: Assessment, score: ChecklistScore) -> RenderableType:
    """The verdict, yes counts per section and the statements that block maturity."""
    verdict = (
        Text("MLOps-mature: every baseline statement is yes", style="bold green")
        if score.mature
        else Text("Not yet MLOps-mature: baseline statements are not all yes", style="bold red")
    )
    sections = Table("section", "baseline", "yes", "not yes")
    for section in score.sections:
        sections.add_row(
            f"{section.id}. {section.name}",
            "yes" if section.baseline else "advanced",
            f"{section.yes}/{section.total}",
            ", ".join(section.blocking or section.open),
        )
    parts: list[RenderableType] = [_title(assessment), verdict, sections]
    texts = {statement.id: statement.text for statement in assessment.framework.statements}
    blocking = [i for section in score.sections for i in section.blocking]
    if blocking:
        table = Table("statement", "", title="What blocks maturity")
        for statement_id in blocking:
            state = "unanswered" if score.statements[statement_id] is None else "no"
            table.add_row(f"{statement_id} ({state})", texts[statement_id])
        parts.append(table)
    return Group(*parts)


def rubric_score_view(assessment: Assessment, score: RubricScore) -> RenderableType:
    """The final score and its meaning, the sum per section and the unanswered tests."""
    final = f"Final score {score.final:g} (the lowest section sum)"
    if not score.complete:
        final += "; some tests are unanswered, so it is a lower bound"
    sections = Table("section", "sum", "of", "unanswered")
    for section in score.sections:
        sections.add_row(
            section.name, f"{section.sum:g}", str(section.total), ", ".join(section.unanswered)
        )
    parts: list[RenderableType] = [_title(assessment), Text(final, style="bold"), sections]
    if score.band:
        parts.insert(2, Text(score.band))
    return Group(*parts)


def evidence_table(comparison: Mapping[str, Any]) -> Table:
    """Per item the evidence reaches: the answer, the evidence's suggestion and the conflict."""
    scan = comparison["scan"]
    commit = (scan.get("commit") or "")[:12]
    table = Table(
        "item",
        "answered",
        "evidence suggests",
        "conflict",
        title=f"Answers beside the scan of {scan.get('project')} {commit}".rstrip(),
    )
    for item in comparison["items"]:
        table.add_row(
            f"{item['id']} {item['name']}",
            shown(item["answered"]),
            suggestion(item),
            item["message"] or "",
        )
    return table


def suggestion(item: Mapping[str, Any]) -> str:
    """The evidence's suggestion: the credited value, else "≤ ceiling", else —."""
    if item["suggested"] is None and item.get("ceiling") is not None:
        return f"≤ {shown(item['ceiling'])}"
    return shown(item["suggested"])


def shown(value: Any) -> str:
    """An answer or suggestion for people: — for none, yes/no, 0.5, 3."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def history_table(history: History) -> Table:
    """Areas down, rounds across, and each area's change from its first to its last score."""
    table = Table("area", *(saved.label for saved in history.rounds), "change")
    for change in history.changes:
        table.add_row(
            history.area_names.get(change.area, change.area),
            *("—" if value is None else str(value) for value in change.scores),
            "" if change.change is None else f"{change.change:+g}",
        )
    if any(saved.overall is not None for saved in history.rounds):
        table.add_row(
            "overall",
            *("—" if saved.overall is None else str(saved.overall) for saved in history.rounds),
            "",
        )
    return table


def measured_table(measured: Mapping[str, Any]) -> Table:
    """What the measured figures say about each plane's answered level."""
    table = Table(
        "plane",
        "level",
        "figure",
        "measured",
        "expected",
        "says",
        title=f"Measured figures, {measured['since'][:10]} to {measured['until'][:10]}",
    )
    for row in measured["planes"]:
        table.add_row(
            row["plane"],
            str(row["level"]),
            row["figure"].replace("_", " "),
            figure(row["value"]) + (f" ({row['tier']})" if row["tier"] else ""),
            expectation_text(row["expected"]),
            row["verdict"],
        )
    if not measured["planes"]:
        table.caption = "no plane of the ai-first framework was answered"
    return table


def expectation_text(expected: Mapping[str, Any]) -> str:
    """``tier high or better``, ``at most 168``, ``at least 0.8``."""
    if "tier" in expected:
        return f"tier {expected['tier']} or better"
    parts = []
    if "at_least" in expected:
        parts.append(f"at least {figure(expected['at_least'])}")
    if "at_most" in expected:
        parts.append(f"at most {figure(expected['at_most'])}")
    return ", ".join(parts)

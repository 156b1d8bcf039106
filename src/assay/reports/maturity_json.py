"""Maturity scores as JSON objects (the ``--format json`` output of ``assay maturity score``)."""

from __future__ import annotations

from typing import Any

from assay.maturity.answers import Assessment
from assay.maturity.rubric import RubricScore
from assay.maturity.scoring import ChecklistScore, LevelScore

__all__ = ["checklist_score_json", "level_score_json", "rubric_score_json"]


def _header(assessment: Assessment) -> dict[str, Any]:
    framework = assessment.framework
    return {
        "framework": {"id": framework.id, "name": framework.name, "version": framework.version},
        "project": assessment.project,
        "respondents": [person.name for person in assessment.respondents],
    }


def level_score_json(assessment: Assessment, score: LevelScore) -> dict[str, Any]:
    """Topics, areas, the overall level, disputed topics and the roadmap."""
    names = {topic.id: topic.name for topic in assessment.framework.topics}
    return {
        **_header(assessment),
        "topics": [
            {
                "id": topic.id,
                "name": names[topic.id],
                "area": topic.area,
                "level": topic.level,
                "spread": list(topic.spread) if topic.spread else None,
                "disputed": topic.disputed,
                "answers": dict(topic.answers),
            }
            for topic in score.topics
        ],
        "areas": [
            {
                "id": area.id,
                "name": area.name,
                "score": area.score,
                "missing": list(area.missing),
                "limiting": list(area.limiting),
            }
            for area in score.areas
        ],
        "overall": {"level": score.overall, "name": score.overall_name},
        "disputed": [topic.id for topic in score.disputed],
        "target": score.target,
        "roadmap": [
            {
                "area": item.area,
                "name": item.name,
                "score": item.score,
                "target": item.target,
                "gap": item.gap,
                "steps": [
                    {
                        "topic": step.topic,
                        "name": step.name,
                        "level": step.level,
                        "next_level": step.next_level,
                        "requirement": step.requirement,
                    }
                    for step in item.steps
                ],
            }
            for item in score.roadmap
        ],
    }


def checklist_score_json(assessment: Assessment, score: ChecklistScore) -> dict[str, Any]:
    """Per section yes/total and what blocks maturity, per statement the verdict, and the
    overall verdict ``mature``."""
    return {
        **_header(assessment),
        "sections": [
            {
                "id": section.id,
                "name": section.name,
                "baseline": section.baseline,
                "yes": section.yes,
                "total": section.total,
                "blocking": list(section.blocking),
                "open": list(section.open),
                "unanswered": list(section.unanswered),
            }
            for section in score.sections
        ],
        "statements": dict(score.statements),
        "disputed": list(score.disputed),
        "mature": score.mature,
    }


def rubric_score_json(assessment: Assessment, score: RubricScore) -> dict[str, Any]:
    """Per section the sum of credits, per test its credit, the final score (the lowest
    section sum), whether every test is answered, and what the final score means."""
    return {
        **_header(assessment),
        "sections": [
            {
                "id": section.id,
                "name": section.name,
                "sum": section.sum,
                "total": section.total,
                "unanswered": list(section.unanswered),
            }
            for section in score.sections
        ],
        "tests": dict(score.tests),
        "disputed": list(score.disputed),
        "final": score.final,
        "complete": score.complete,
        "band": score.band,
    }

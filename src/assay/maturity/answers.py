"""Turning an answers document (already parsed) into respondents, checked against a framework.

Every problem is collected with its key path, so a user sees them all at once. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assay.maturity.frameworks import Framework, FrameworkKind
from assay.maturity.rubric import RubricScore, parse_credit, score_rubric
from assay.maturity.scoring import (
    Answer,
    ChecklistScore,
    LevelScore,
    Respondent,
    score_checklist,
    score_levels,
)
from assay.names import name_problem

__all__ = [
    "SINGLE_RESPONDENT",
    "Assessment",
    "Problem",
    "parse_level",
    "parse_yes_no",
    "read_assessment",
]

Problem = tuple[tuple[str | int, ...], str]
SINGLE_RESPONDENT = "respondent"
_YES_NO = {"yes": True, "no": False, "y": True, "n": False}


@dataclass(frozen=True)
class Assessment:
    """A framework, the project assessed (if named) and the respondents' answers."""

    framework: Framework
    project: str | None
    respondents: tuple[Respondent, ...]

    def score(self, target: int | None = None) -> LevelScore | ChecklistScore | RubricScore:
        """Score the answers by the framework's kind (``target`` is the roadmap's level)."""
        if self.framework.kind is FrameworkKind.checklist:
            return score_checklist(self.framework, self.respondents)
        if self.framework.kind is FrameworkKind.rubric:
            return score_rubric(self.framework, self.respondents)
        return score_levels(self.framework, self.respondents, target=target)


def read_assessment(
    data: Mapping[str, Any], framework: Framework
) -> tuple[Assessment, list[Problem]]:
    """Read schema-valid answers ``data`` for ``framework``. Returns the assessment and the
    problems found: unknown ids, levels outside 0-4 or not integers, yes/no expected but
    something else given, duplicate respondents."""
    problems: list[Problem] = []
    entries: list[tuple[tuple[str | int, ...], str, Mapping[str, Any]]]
    if "respondents" in data:
        entries = [
            (("respondents", index), person["name"], person["answers"])
            for index, person in enumerate(data["respondents"])
        ]
    else:
        entries = [((), SINGLE_RESPONDENT, data["answers"])]
    seen: set[str] = set()
    respondents = []
    project = data.get("project")
    if project is not None and (wrong := name_problem(project, "project name")):
        problems.append((("project",), f"{wrong[0]}; expected {wrong[1]}"))
    for path, name, raw in entries:
        if name in seen:
            problems.append(((*path, "name"), f"respondent {name!r} appears twice"))
        elif wrong := name_problem(name, "respondent name"):
            problems.append(((*path, "name"), f"{wrong[0]}; expected {wrong[1]}"))
        seen.add(name)
        answers = {}
        for item_id, value in raw.items():
            where = (*path, "answers", item_id)
            answer = _answer(framework, item_id, value, where, problems)
            if answer is not None:
                answers[item_id] = answer
        respondents.append(Respondent(name, answers))
    return Assessment(framework, project, tuple(respondents)), problems


def _answer(
    framework: Framework,
    item_id: str,
    value: Any,
    where: tuple[str | int, ...],
    problems: list[Problem],
) -> Answer | None:
    rubric = framework.kind is FrameworkKind.rubric
    checklist = framework.kind is FrameworkKind.checklist or rubric
    known = {s.id for s in framework.statements} if checklist else {t.id for t in framework.topics}
    if item_id not in known:
        what = "test" if rubric else "statement" if checklist else "topic"
        problems.append((where, f"{framework.id} has no {what} {item_id!r}"))
        return None
    evidence = note = None
    if isinstance(value, dict):
        unexpected = "level" if checklist else "answer"
        if unexpected in value:
            expected_key = "answer" if checklist else "level"
            problems.append(
                (where, f"use {expected_key!r}, not {unexpected!r}, for {framework.id}")
            )
            return None
        evidence, note = value.get("evidence"), value.get("note")
        value = value.get("answer" if checklist else "level")
    if value is None:
        return None
    parsed: int | bool | float | None
    if rubric:
        parsed = parse_credit(value)
    else:
        parsed = parse_yes_no(value) if checklist else parse_level(value)
    if parsed is None:
        expectation = (
            "0, 0.5 or 1 (or no, manual, automated)"
            if rubric
            else "yes or no (y/n)"
            if checklist
            else "an integer level 0-4"
        )
        problems.append((where, f"{value!r} is not a valid answer; expected {expectation}"))
        return None
    return Answer(parsed, evidence, note)


def parse_level(value: Any) -> int | None:
    """``value`` as a level when it is an integer 0-4 (not a bool), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 4:
        return value
    return None


def parse_yes_no(value: Any) -> bool | None:
    """``value`` as yes (True) or no (False): a bool, or yes/no/y/n in any case (as the
    questionnaire's prompts accept)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _YES_NO.get(value.lower())
    return None

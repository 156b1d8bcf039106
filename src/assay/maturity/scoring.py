"""Scoring a self-assessment: the rules of the IML4E framework and the Marvelous checklist.

- A topic's level is the consensus of its respondents: the median, rounded down. Topics whose
  respondents are two or more levels apart are flagged for discussion.
- An area's score is the lowest level of its topics (the topics at that level hold it down);
  an area with an unanswered topic has no score and lists what is missing.
- The overall level is the lowest area score, named on the framework's scale.
- The roadmap lists, for every area below the target level (default: one above the overall
  level), its topics below the target and what their next described level asks for, the areas
  furthest from the target first.
- A checklist project is mature when every statement of the baseline sections is answered yes.

No I/O: answers come in as values, scores go out as values.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assay.maturity.frameworks import Framework, FrameworkKind

__all__ = [
    "DISAGREEMENT_LEVELS",
    "Answer",
    "AreaScore",
    "ChecklistScore",
    "LevelScore",
    "Respondent",
    "RoadmapItem",
    "RoadmapStep",
    "SectionScore",
    "TopicScore",
    "consensus",
    "score_checklist",
    "score_levels",
]

DISAGREEMENT_LEVELS = 2
HIGHEST_LEVEL = 4


@dataclass(frozen=True)
class Answer:
    """One respondent's answer to a topic (a level 0-4), a statement (True for yes) or a
    rubric test (a credit 0, 0.5 or 1)."""

    value: int | bool | float
    evidence: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Respondent:
    """A person's answers, by topic or statement id."""

    name: str
    answers: Mapping[str, Answer] = field(default_factory=dict)


def consensus(values: Sequence[int]) -> int:
    """The median of ``values`` rounded down (``[1, 2]`` → 1, ``[1, 3]`` → 2)."""
    return math.floor(statistics.median(values))


@dataclass(frozen=True)
class TopicScore:
    """A topic's consensus level (None when nobody answered), each respondent's level, and the
    spread between the lowest and highest answer."""

    id: str
    area: str
    level: int | None
    answers: Mapping[str, int]
    spread: tuple[int, int] | None

    @property
    def disputed(self) -> bool:
        """Respondents are at least :data:`DISAGREEMENT_LEVELS` apart: worth a discussion."""
        return self.spread is not None and self.spread[1] - self.spread[0] >= DISAGREEMENT_LEVELS


@dataclass(frozen=True)
class AreaScore:
    """An area's score (None when incomplete), the unanswered topics and those holding it down."""

    id: str
    name: str
    score: int | None
    missing: tuple[str, ...]
    limiting: tuple[str, ...]


@dataclass(frozen=True)
class RoadmapStep:
    """A topic below the target: where it is and what its next described level requires."""

    topic: str
    name: str
    level: int
    next_level: int | None
    requirement: str | None


@dataclass(frozen=True)
class RoadmapItem:
    """An area below the target level and the steps that would raise it."""

    area: str
    name: str
    score: int
    target: int
    steps: tuple[RoadmapStep, ...]

    @property
    def gap(self) -> int:
        """How many levels the area is below the target."""
        return self.target - self.score


@dataclass(frozen=True)
class LevelScore:
    """The result of scoring a level framework."""

    framework: Framework
    topics: tuple[TopicScore, ...]
    areas: tuple[AreaScore, ...]
    overall: int | None
    target: int
    roadmap: tuple[RoadmapItem, ...]

    @property
    def overall_name(self) -> str | None:
        """The scale's name of the overall level."""
        return None if self.overall is None else self.framework.level_name(self.overall)

    @property
    def disputed(self) -> tuple[TopicScore, ...]:
        """Topics whose respondents disagree by two levels or more."""
        return tuple(topic for topic in self.topics if topic.disputed)


def score_levels(
    framework: Framework, respondents: Sequence[Respondent], *, target: int | None = None
) -> LevelScore:
    """Score the answers of ``respondents`` on a level framework (see the module rules).

    ``target`` (0-4) is the level the roadmap aims at; by default one above the overall level,
    or one above the lowest complete area while the assessment is incomplete.
    """
    if framework.kind is not FrameworkKind.levels:
        raise ValueError(f"{framework.id} is a {framework.kind} framework, not a level framework")
    topics = tuple(
        _score_topic(area.id, topic.id, respondents)
        for area in framework.areas
        for topic in area.topics
    )
    by_id = {topic.id: topic for topic in topics}
    areas = tuple(
        _score_area(area.id, area.name, [by_id[t.id] for t in area.topics])
        for area in framework.areas
    )
    scores = [area.score for area in areas]
    overall = None if None in scores else min(s for s in scores if s is not None)
    known = [s for s in scores if s is not None]
    if target is None:
        target = min((overall if overall is not None else min(known, default=0)) + 1, HIGHEST_LEVEL)
    return LevelScore(
        framework, topics, areas, overall, target, _roadmap(framework, areas, by_id, target)
    )


def _score_topic(area_id: str, topic_id: str, respondents: Sequence[Respondent]) -> TopicScore:
    answers = {
        person.name: int(person.answers[topic_id].value)
        for person in respondents
        if topic_id in person.answers
    }
    values = list(answers.values())
    return TopicScore(
        topic_id,
        area_id,
        consensus(values) if values else None,
        answers,
        (min(values), max(values)) if values else None,
    )


def _score_area(area_id: str, name: str, topics: Sequence[TopicScore]) -> AreaScore:
    missing = tuple(topic.id for topic in topics if topic.level is None)
    if missing:
        return AreaScore(area_id, name, None, missing, ())
    score = min(topic.level for topic in topics if topic.level is not None)
    limiting = tuple(topic.id for topic in topics if topic.level == score)
    return AreaScore(area_id, name, score, (), limiting)


def _roadmap(
    framework: Framework,
    areas: Sequence[AreaScore],
    topics: Mapping[str, TopicScore],
    target: int,
) -> tuple[RoadmapItem, ...]:
    items = []
    for area, definition in zip(areas, framework.areas, strict=True):
        if area.score is None or area.score >= target:
            continue
        steps = []
        for topic in definition.topics:
            level = topics[topic.id].level
            if level is None or level >= target:
                continue
            step = topic.next_step(level)
            steps.append(RoadmapStep(topic.id, topic.name, level, *(step or (None, None))))
        steps.sort(key=lambda step: step.level)  # stable: source order within a level
        items.append(RoadmapItem(area.id, area.name, area.score, target, tuple(steps)))
    items.sort(key=lambda item: -item.gap)  # stable: area order among equal gaps
    return tuple(items)


@dataclass(frozen=True)
class SectionScore:
    """A checklist section: statements answered yes, how many there are, and which are not yes
    (``blocking`` in baseline sections, ``open`` in advanced ones); ``unanswered`` among them."""

    id: str
    name: str
    baseline: bool
    yes: int
    total: int
    blocking: tuple[str, ...]
    open: tuple[str, ...]
    unanswered: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistScore:
    """The result of scoring a checklist: per section, per statement, and the verdict."""

    framework: Framework
    sections: tuple[SectionScore, ...]
    statements: Mapping[str, bool | None]
    disputed: tuple[str, ...]

    @property
    def mature(self) -> bool:
        """Every statement of every baseline section is answered yes."""
        return all(not section.blocking for section in self.sections if section.baseline)


def score_checklist(framework: Framework, respondents: Sequence[Respondent]) -> ChecklistScore:
    """Score yes/no answers: each statement's consensus is the median of its answers rounded
    down (a tie is no); statements on which respondents differ are listed as disputed."""
    if framework.kind is not FrameworkKind.checklist:
        raise ValueError(f"{framework.id} is a {framework.kind} framework, not a checklist")
    verdicts: dict[str, bool | None] = {}
    disputed = []
    for statement in framework.statements:
        values = [
            int(bool(p.answers[statement.id].value))
            for p in respondents
            if statement.id in p.answers
        ]
        verdicts[statement.id] = bool(consensus(values)) if values else None
        if values and min(values) != max(values):
            disputed.append(statement.id)
    sections = []
    for section in framework.sections:
        ids = [statement.id for statement in section.statements]
        not_yes = tuple(i for i in ids if verdicts[i] is not True)
        sections.append(
            SectionScore(
                section.id,
                section.name,
                section.baseline,
                yes=sum(1 for i in ids if verdicts[i] is True),
                total=len(ids),
                blocking=not_yes if section.baseline else (),
                open=() if section.baseline else not_yes,
                unanswered=tuple(i for i in ids if verdicts[i] is None),
            )
        )
    return ChecklistScore(framework, tuple(sections), verdicts, tuple(disputed))

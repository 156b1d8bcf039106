"""Scoring a rubric such as the ML Test Score: each test earns 0 (not done), 0.5 (done by hand,
results documented and shared) or 1 (automated, run repeatedly); a section's score is the sum
of its tests; the final score is the lowest section score, read against the rubric's bands.

A test's consensus is the median of its respondents' credits, rounded down to a half point;
respondents a whole point apart are flagged for discussion. No I/O.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.maturity.frameworks import Framework, FrameworkKind
from assay.maturity.scoring import Respondent

__all__ = ["CREDIT_WORDS", "RubricScore", "RubricSection", "parse_credit", "score_rubric"]

CREDIT_WORDS = {"no": 0.0, "not done": 0.0, "manual": 0.5, "automated": 1.0}


def parse_credit(value: Any) -> float | None:
    """``value`` as a credit: 0, 0.5 or 1 (numbers, not booleans) or no / manual / automated
    (any case); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value) in (0.0, 0.5, 1.0):
        return float(value)
    if isinstance(value, str):
        return CREDIT_WORDS.get(value.strip().lower())
    return None


@dataclass(frozen=True)
class RubricSection:
    """A section's sum of credits over its ``total`` tests, and the tests still unanswered."""

    id: str
    name: str
    sum: float
    total: int
    unanswered: tuple[str, ...]


@dataclass(frozen=True)
class RubricScore:
    """Per test its credit (None unanswered), per section its sum, the final score (lowest
    section sum) and whether every test was answered."""

    framework: Framework
    sections: tuple[RubricSection, ...]
    tests: Mapping[str, float | None]
    disputed: tuple[str, ...]

    @property
    def final(self) -> float:
        """The lowest section sum (a lower bound while tests are unanswered)."""
        return min(section.sum for section in self.sections)

    @property
    def complete(self) -> bool:
        """Every test has an answer."""
        return all(not section.unanswered for section in self.sections)

    @property
    def band(self) -> str | None:
        """What the final score means, from the rubric's bands."""
        chosen = None
        for above, name in self.framework.bands:
            if above is None or self.final > above:
                chosen = name
        return chosen


def score_rubric(framework: Framework, respondents: Sequence[Respondent]) -> RubricScore:
    """Score 0 / 0.5 / 1 answers by the rules in the module docstring."""
    if framework.kind is not FrameworkKind.rubric:
        raise ValueError(f"{framework.id} is a {framework.kind} framework, not a rubric")
    credits: dict[str, float | None] = {}
    disputed = []
    for test in framework.statements:
        values = [float(p.answers[test.id].value) for p in respondents if test.id in p.answers]
        if values:
            credits[test.id] = math.floor(statistics.median(values) * 2) / 2
            if max(values) - min(values) >= 1:
                disputed.append(test.id)
        else:
            credits[test.id] = None
    sections = tuple(
        RubricSection(
            section.id,
            section.name,
            float(sum(credits[t.id] or 0.0 for t in section.statements)),
            len(section.statements),
            tuple(t.id for t in section.statements if credits[t.id] is None),
        )
        for section in framework.sections
    )
    return RubricScore(framework, sections, credits, tuple(disputed))

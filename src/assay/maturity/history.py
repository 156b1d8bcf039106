"""Assessment rounds over time: what a saved round records and how areas changed between them.

No I/O: rounds are built from scores and read back from ledger payloads by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.maturity.answers import Assessment
from assay.maturity.rubric import RubricScore
from assay.maturity.scoring import ChecklistScore, LevelScore

__all__ = [
    "ROUND_KIND",
    "AreaChange",
    "History",
    "Round",
    "area_changes",
    "build_history",
    "respondents_payload",
    "round_payload",
]

ROUND_KIND = "maturity.round"


def round_payload(
    assessment: Assessment,
    score: LevelScore | ChecklistScore | RubricScore,
    *,
    project: str,
    label: str,
) -> dict[str, Any]:
    """The ledger payload of a saved round: who answered what (with evidence), and the scores
    that followed, so history never has to re-score old answers against a changed catalog."""
    if isinstance(score, LevelScore):
        scores: dict[str, Any] = {
            "areas": {area.id: area.score for area in score.areas},
            "overall": score.overall,
        }
    elif isinstance(score, RubricScore):
        scores = {
            "areas": {section.id: section.sum for section in score.sections},
            "final": score.final,
            "complete": score.complete,
        }
    else:
        scores = {
            "areas": {section.id: section.yes for section in score.sections},
            "mature": score.mature,
        }
    return {
        "project": project,
        "round": label,
        "framework": {"id": assessment.framework.id, "version": assessment.framework.version},
        "area_names": {area.id: area.name for area in assessment.framework.areas}
        | {section.id: section.name for section in assessment.framework.sections},
        # The ledger stores objects with sorted keys; this keeps the framework's order.
        "area_order": [area.id for area in assessment.framework.areas]
        + [section.id for section in assessment.framework.sections],
        "respondents": respondents_payload(assessment),
        "scores": scores,
    }


def respondents_payload(assessment: Assessment) -> list[dict[str, Any]]:
    """Who answered what, with evidence and notes, as a saved round records it."""
    return [
        {
            "name": person.name,
            "answers": {
                item: {"value": answer.value, "evidence": answer.evidence, "note": answer.note}
                for item, answer in person.answers.items()
            },
        }
        for person in assessment.respondents
    ]


@dataclass(frozen=True)
class Round:
    """A saved round as read back: its label, ledger entry, save time and area scores."""

    label: str
    seq: int
    saved: str
    framework: str
    areas: Mapping[str, int | None]
    overall: int | None
    respondents: Sequence[Mapping[str, Any]] = ()

    @classmethod
    def from_payload(cls, seq: int, saved: str, payload: Mapping[str, Any]) -> Round:
        """Read a round back from its ledger entry's payload (see :func:`round_payload`)."""
        scores = payload["scores"]
        order = [*payload.get("area_order", []), *sorted(scores["areas"])]
        return cls(
            payload["round"],
            seq,
            saved,
            payload["framework"]["id"],
            {
                area: scores["areas"][area]
                for area in dict.fromkeys(order)
                if area in scores["areas"]
            },
            scores.get("overall"),
            payload.get("respondents", ()),
        )


@dataclass(frozen=True)
class AreaChange:
    """An area's score in each round, and the change from the first to the last known score."""

    area: str
    scores: tuple[int | None, ...]

    @property
    def change(self) -> int | None:
        """Last known score minus first known score; None with fewer than two known scores."""
        known = [score for score in self.scores if score is not None]
        return known[-1] - known[0] if len(known) >= 2 else None


def area_changes(rounds: Sequence[Round]) -> tuple[AreaChange, ...]:
    """Per area (in the order they first appear), its score in every round."""
    order: list[str] = []
    for saved in rounds:
        order += [area for area in saved.areas if area not in order]
    return tuple(
        AreaChange(area, tuple(saved.areas.get(area) for saved in rounds)) for area in order
    )


@dataclass(frozen=True)
class History:
    """A project's rounds in the order they were saved, with each area's scores across them."""

    project: str
    rounds: tuple[Round, ...]
    area_names: Mapping[str, str]
    changes: tuple[AreaChange, ...]

    @property
    def frameworks(self) -> tuple[str, ...]:
        """The frameworks the rounds were assessed with, sorted."""
        return tuple(sorted({saved.framework for saved in self.rounds}))

    def followed_by(self, latest: Round, names: Mapping[str, str]) -> History:
        """This history with one more round at the end (an assessment scored now, not saved)."""
        rounds = (*self.rounds, latest)
        return History(self.project, rounds, {**names, **self.area_names}, area_changes(rounds))

    def to_dict(self) -> dict[str, Any]:
        """The history as JSON (``assay maturity history --format json``)."""
        return {
            "project": self.project,
            "framework": self.frameworks[0] if len(self.frameworks) == 1 else None,
            "rounds": [
                {
                    "round": r.label,
                    "seq": r.seq,
                    "saved": r.saved,
                    "areas": dict(r.areas),
                    "overall": r.overall,
                }
                for r in self.rounds
            ],
            "areas": [
                {
                    "id": c.area,
                    "name": self.area_names.get(c.area, c.area),
                    "scores": list(c.scores),
                    "change": c.change,
                }
                for c in self.changes
            ],
        }


def build_history(
    project: str,
    entries: Sequence[tuple[int, str, Mapping[str, Any]]],
    *,
    framework: str | None = None,
) -> History:
    """The history of ``project`` (optionally only rounds of ``framework``) from the
    ``(seq, saved at, payload)`` of every round entry in the ledger."""
    saved = [
        (seq, when, payload)
        for seq, when, payload in entries
        if payload.get("project") == project
        and (framework is None or payload["framework"]["id"] == framework)
    ]
    rounds = tuple(Round.from_payload(seq, when, payload) for seq, when, payload in saved)
    names: dict[str, str] = {}
    for _, _, payload in saved:
        names.update(payload.get("area_names", {}))
    return History(project, rounds, names, area_changes(rounds))

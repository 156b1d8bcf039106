"""People-and-culture proxies of the AI-first framework: who raises incidents (people or only
detectors), how long a detected failure takes to be reported, the balance of capacity across
roles, and anonymous pulse-survey aggregates that never show a group smaller than five."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assay.metrics.events import epoch_of
from assay.metrics.llm import rate
from assay.metrics.windows import Window

__all__ = [
    "MIN_GROUP",
    "Answer",
    "Member",
    "incident_figures",
    "people_figures",
    "pulse_figures",
    "role_balance",
]

# The smallest group whose survey answers are shown (guaranteed anonymity).
MIN_GROUP = 5


@dataclass(frozen=True)
class Member:
    """One line of a roster: a role and the capacity (in full-time equivalents) it holds."""

    role: str
    capacity: float = 1.0
    team: str | None = None


@dataclass(frozen=True)
class Answer:
    """One anonymous answer of a pulse survey: the group it comes from, the question, the
    score."""

    group: str
    question: str
    score: float


def incident_figures(incidents: Iterable[Mapping[str, Any]], window: Window) -> dict[str, Any]:
    """Incidents that began in ``window``: the share raised by people (of those whose raiser is
    known) and the hours from detection (``detected``, else the incident's time) to the formal
    report (``reported``)."""
    since, until = window.since.timestamp(), window.until.timestamp()
    by_people = by_detectors = unknown = 0
    delays = []
    for incident in incidents:
        began = epoch_of(incident["time"])
        if not since <= began < until:
            continue
        raiser = incident.get("reported_by")
        by_people += raiser == "person"
        by_detectors += raiser == "detector"
        unknown += raiser is None
        if incident.get("reported"):
            detected = epoch_of(incident["detected"]) if incident.get("detected") else began
            delays.append(max(0.0, epoch_of(incident["reported"]) - detected) / 3600)
    hours = np.asarray(delays, dtype=float)
    return {
        "raised_by_people": {
            "value": rate(by_people, by_people + by_detectors),
            "people": by_people,
            "detectors": by_detectors,
            "unknown": unknown,
        },
        "detection_to_report_hours": {
            "median": float(np.median(hours)) if hours.size else None,
            "p90": float(np.percentile(hours, 90)) if hours.size else None,
            "incidents": int(hours.size),
        },
    }


def role_balance(roster: Sequence[Member]) -> dict[str, Any]:
    """Capacity per role and its share of the whole."""
    capacity: dict[str, float] = {}
    people: dict[str, int] = {}
    for member in roster:
        capacity[member.role] = capacity.get(member.role, 0.0) + member.capacity
        people[member.role] = people.get(member.role, 0) + 1
    total = sum(capacity.values())
    return {
        "capacity": total,
        "people": len(roster),
        "roles": [
            {
                "role": role,
                "people": people[role],
                "capacity": capacity[role],
                "share": rate(capacity[role], total),  # type: ignore[arg-type]
            }
            for role in sorted(capacity)
        ],
    }


def pulse_figures(answers: Sequence[Answer], *, min_group: int = MIN_GROUP) -> dict[str, Any]:
    """Per question: the mean score of each group with at least ``min_group`` answers, and of
    everyone. A smaller group is named as withheld, with no figure. When exactly one group of
    a question is withheld, the next smallest is withheld too, so that the small group's
    answers cannot be recovered by subtracting the shown groups from the whole; the whole is
    shown only when it has ``min_group`` answers."""
    by_question: dict[str, dict[str, list[float]]] = {}
    for answer in answers:
        by_question.setdefault(answer.question, {}).setdefault(answer.group, []).append(
            answer.score
        )
    questions = []
    for question, groups in sorted(by_question.items()):
        small = {g for g, scores in groups.items() if len(scores) < min_group}
        if len(small) == 1 and len(groups) > 1:
            rest = sorted((len(s), g) for g, s in groups.items() if g not in small)
            small.add(rest[0][1])
        everyone = [score for scores in groups.values() for score in scores]
        questions.append(
            {
                "question": question,
                "all": _pulse(everyone) if len(everyone) >= min_group else None,
                "groups": [
                    {"group": group, **_pulse(scores)}
                    for group, scores in sorted(groups.items())
                    if group not in small
                ],
                "withheld": sorted(small),
            }
        )
    return {"min_group": min_group, "questions": questions}


def _pulse(scores: list[float]) -> dict[str, Any]:
    return {"answers": len(scores), "mean": float(np.mean(scores))}


def people_figures(
    incidents: Iterable[Mapping[str, Any]],
    window: Window,
    *,
    roster: Sequence[Member] | None = None,
    answers: Sequence[Answer] | None = None,
) -> dict[str, Any]:
    """The incident proxies over ``window``, with the role balance and the pulse aggregates
    when a roster and survey answers are given."""
    return {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        **incident_figures(incidents, window),
        "role_balance": role_balance(roster) if roster is not None else None,
        "pulse": pulse_figures(answers) if answers is not None else None,
    }

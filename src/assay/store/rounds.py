"""Maturity assessment rounds kept in the evidence ledger (``maturity.round`` entries)."""

from __future__ import annotations

from typing import Any

from assay.errors import InvalidInputError
from assay.maturity.answers import Assessment
from assay.maturity.history import ROUND_KIND, History, build_history, round_payload
from assay.maturity.rubric import RubricScore
from assay.maturity.scoring import ChecklistScore, LevelScore
from assay.names import check_name
from assay.store.chain import LedgerEntry
from assay.store.ledger import Ledger

__all__ = ["append_round", "load_history", "save_round"]


def save_round(
    ledger: Ledger,
    assessment: Assessment,
    score: LevelScore | ChecklistScore | RubricScore,
    *,
    project: str,
    label: str,
) -> LedgerEntry:
    """Append the round ``label`` of ``project`` and return its entry. Refuses (with
    :class:`~assay.errors.InvalidInputError`, nothing stored) a label the project has already
    used; the check and the append are one transaction, so two savers cannot both succeed."""
    return append_round(ledger, round_payload(assessment, score, project=project, label=label))


def append_round(ledger: Ledger, payload: dict[str, Any]) -> LedgerEntry:
    """Append a round payload (answered or scanned) after checking its project name and label;
    refuses a label the project already used, in the transaction that appends."""
    project, label = payload["project"], payload["round"]
    check_name(project, source="--project", what="project name")
    check_name(label, source="--round", what="round label")
    with ledger.database.writing() as conn:
        for existing in ledger.entries_in(conn, kind=ROUND_KIND):
            found = existing.content or {}
            if (found.get("project"), found.get("round")) == (project, label):
                raise InvalidInputError(
                    f"project {project!r} already has a round {label!r} "
                    f"(ledger entry {existing.seq})",
                    source="--round",
                    expected="a new round label",
                )
        (entry,) = ledger.append_in(conn, [(ROUND_KIND, payload)])
    return entry


def load_history(ledger: Ledger, project: str, framework: str | None = None) -> History:
    """The saved rounds of ``project`` (of ``framework`` only, when given), in saving order."""
    entries = [
        (entry.seq, entry.ts, entry.content)
        for entry in ledger.entries(kind=ROUND_KIND)
        if entry.content is not None
    ]
    return build_history(project, entries, framework=framework)

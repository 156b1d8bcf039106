"""Overrides of a probe's automatic answer, recorded by a named person with a reason, a
justification and an expiry; applied beside (never instead of) the automatic result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from assay.scan.findings import Finding, Outcome

__all__ = [
    "OVERRIDE_KIND",
    "AppliedOverrides",
    "Override",
    "OverrideReason",
    "apply_overrides",
]

OVERRIDE_KIND = "scan.override"


class OverrideReason(StrEnum):
    """Why the automatic answer is set aside, and the answer that takes its place:
    ``test-data`` — what was found is test data, not practice (no); ``remediated`` — fixed
    since the evidence was read (yes); ``not-applicable`` — the question does not arise here;
    ``not-detected`` — the practice exists where the scan cannot see it (yes)."""

    test_data = "test-data"
    remediated = "remediated"
    not_applicable = "not-applicable"
    not_detected = "not-detected"

    @property
    def outcome(self) -> Outcome:
        """The answer an override with this reason gives."""
        return {
            OverrideReason.test_data: Outcome.no,
            OverrideReason.remediated: Outcome.yes,
            OverrideReason.not_applicable: Outcome.not_applicable,
            OverrideReason.not_detected: Outcome.yes,
        }[self]


@dataclass(frozen=True)
class Override:
    """One override as recorded in the ledger (``seq`` is its entry)."""

    project: str
    probe: str
    reason: OverrideReason
    by: str
    justification: str
    expires: date
    seq: int | None = None
    recorded: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """The ledger payload of this override."""
        return {
            "project": self.project,
            "probe": self.probe,
            "reason": self.reason.value,
            "outcome": self.reason.outcome.value,
            "by": self.by,
            "justification": self.justification,
            "expires": self.expires.isoformat(),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], seq: int, recorded: str) -> Override:
        """Read an override back from its ledger entry."""
        return cls(
            payload["project"],
            payload["probe"],
            OverrideReason(payload["reason"]),
            payload["by"],
            payload["justification"],
            date.fromisoformat(payload["expires"]),
            seq,
            recorded,
        )

    def to_dict(self) -> dict[str, Any]:
        """The override as the scan's JSON shows it."""
        return {**self.to_payload(), "seq": self.seq, "recorded": self.recorded}


@dataclass(frozen=True)
class AppliedOverrides:
    """Per probe, the override in force; and the overrides that are expired or unused
    (nothing to override: unknown probe, or the automatic answer already agrees)."""

    active: Mapping[str, Override]
    expired: Sequence[Override]
    unused: Sequence[tuple[Override, str]]


def apply_overrides(
    findings: Sequence[Finding], overrides: Sequence[Override], today: date
) -> AppliedOverrides:
    """Choose, per probe, the latest override that has not expired; flag the rest."""
    by_probe = {finding.probe: finding for finding in findings}
    latest: dict[str, Override] = {}
    for override in sorted(overrides, key=lambda o: o.seq or 0):
        latest[override.probe] = override
    active: dict[str, Override] = {}
    expired: list[Override] = []
    unused: list[tuple[Override, str]] = []
    for probe, override in sorted(latest.items()):
        if override.expires < today:
            expired.append(override)
        elif probe not in by_probe:
            unused.append((override, "no probe has this id"))
        elif by_probe[probe].outcome is override.reason.outcome:
            unused.append(
                (override, f"the automatic answer is already {override.reason.outcome.value}")
            )
        else:
            active[probe] = override
    return AppliedOverrides(active, tuple(expired), tuple(unused))

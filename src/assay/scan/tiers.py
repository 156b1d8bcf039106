"""Crediting a level (or a credit) tier by tier from probe outcomes: a tier counts only when
every requirement of it and of every tier below is met, and a requirement is met when its probe
(or one of its alternatives) answered yes. What is unknown is never credited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assay.scan.findings import Outcome

__all__ = ["TierVerdict", "credit_tiers", "requirement_outcome"]


@dataclass(frozen=True)
class TierVerdict:
    """``credited``: the highest tier the evidence supports (None: not even the first);
    ``ceiling``: the highest value the evidence still allows (None: no tier was refuted);
    ``refuted_by``: the probes whose ``no`` set the ceiling; ``basis``: probes that were read."""

    credited: float | None
    ceiling: float | None
    refuted_by: tuple[str, ...]
    unknown: tuple[str, ...]
    basis: tuple[str, ...]


def requirement_outcome(probes: Sequence[str], outcomes: Mapping[str, Outcome]) -> Outcome:
    """One requirement met by any of ``probes``: yes if one is yes; no if every applicable one
    is no; not applicable if none applies; unknown otherwise."""
    answers = [outcomes.get(probe, Outcome.unknown) for probe in probes]
    if Outcome.yes in answers:
        return Outcome.yes
    applicable = [answer for answer in answers if answer is not Outcome.not_applicable]
    if not applicable:
        return Outcome.not_applicable
    if all(answer is Outcome.no for answer in applicable):
        return Outcome.no
    return Outcome.unknown


def credit_tiers(
    requirements: Mapping[float, Sequence[Sequence[str]]],
    outcomes: Mapping[str, Outcome],
    *,
    step_below: Mapping[float, float],
) -> TierVerdict:
    """Walk the tiers upwards. ``requirements`` maps a tier to its requirements (each a list of
    alternative probes); ``step_below`` gives, per tier, the value just under it (the ceiling
    when that tier is refuted)."""
    credited: float | None = None
    ceiling: float | None = None
    refuted: list[str] = []
    unknown: list[str] = []
    basis = sorted({probe for tier in requirements.values() for req in tier for probe in req})
    for tier in sorted(requirements):
        results = [(req, requirement_outcome(req, outcomes)) for req in requirements[tier]]
        applicable = [(req, out) for req, out in results if out is not Outcome.not_applicable]
        failed = [req for req, out in applicable if out is Outcome.no]
        if failed:
            ceiling = step_below[tier]
            refuted = sorted({probe for req in failed for probe in req})
            break
        open_ = [req for req, out in applicable if out is Outcome.unknown]
        if open_ or not applicable:
            unknown = sorted({probe for req in (open_ or [r for r, _ in results]) for probe in req})
            break
        credited = tier
    return TierVerdict(credited, ceiling, tuple(refuted), tuple(unknown), tuple(basis))

"""Evaluating a specification: every measurement against its target, outcomes aggregated up.

Rules (001 §5.4, DESIGN.md):

- A measurement passes when its value satisfies its comparison, fails when it does not, and is
  in error when there is no value or it cannot be compared (the reason is kept). Evidence past
  its expiry (an attestation) is stale.
- An element with an assessor takes the assessor's verdict instead of its children's.
- A failure covered by an active waiver is reported as waived, never as pass.
- A parent fails if any child fails; it is in error if a child is in error or stale and none
  fails; it passes if every child passes or is waived. Advisory requirements are reported but
  never count for their parent.

No I/O: evidence, waivers and baselines come in as values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from assay.audit.comparisons import COMPARISONS, holds, prepare_target
from assay.audit.datatypes import DATA_TYPES, ValueMismatchError
from assay.audit.spec import (
    Dimension,
    Element,
    Measurement,
    Metric,
    Requirement,
    Specification,
)

__all__ = [
    "Evidence",
    "Outcome",
    "Result",
    "Waiver",
    "aggregate",
    "evaluate",
    "relative_target",
]


class Outcome(StrEnum):
    """The outcome of an element."""

    passed = "pass"
    failed = "fail"
    error = "error"
    stale = "stale"
    waived = "waived"


@dataclass(frozen=True)
class Evidence:
    """What an element has to be judged on: a value (or an assessor's verdict), or the reason
    there is none; where it came from, when, and (for attestations) who and until when."""

    value: Any = None
    error: str | None = None
    source: str | None = None
    collected_at: str | None = None
    attested_by: str | None = None
    expires: datetime | None = None


@dataclass(frozen=True)
class Waiver:
    """A known failure accepted by a named person, with a justification, until a moment."""

    element: str
    by: str
    justification: str
    expires: datetime
    granted: str = ""

    def active(self, now: datetime) -> bool:
        """The waiver still applies at ``now``."""
        return now < self.expires


@dataclass(frozen=True)
class Result:
    """An element's outcome, with what it was judged on and its children's results."""

    id: str
    name: str
    kind: str
    outcome: Outcome
    children: tuple[Result, ...] = ()
    confidential: bool = False
    assessor: str | None = None
    severity: str | None = None
    risks: tuple[str, ...] = ()
    value: Any = None
    target: Any = None
    comparison: str | None = None
    data_type: str | None = None
    error: str | None = None
    source: str | None = None
    collected_at: str | None = None
    attested_by: str | None = None
    waiver: Waiver | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def external(self) -> bool:
        """The outcome is an assessor's verdict."""
        return self.assessor is not None

    def walk(self) -> list[Result]:
        """This result and every one below it, parents first."""
        return [self, *(result for child in self.children for result in child.walk())]


def aggregate(outcomes: Sequence[Outcome]) -> Outcome:
    """A parent's outcome from its counted children's (see the module rules)."""
    if Outcome.failed in outcomes:
        return Outcome.failed
    if Outcome.error in outcomes or Outcome.stale in outcomes:
        return Outcome.error
    return Outcome.passed


def relative_target(target: Mapping[str, Any], baseline: float) -> float:
    """The number a measurement must reach given the baseline's value: ``max_drop`` and
    ``max_rise`` are absolute, ``max_relative_drop`` and ``max_relative_rise`` fractions of
    the baseline's magnitude."""
    if "max_drop" in target:
        return baseline - float(target["max_drop"])
    if "max_rise" in target:
        return baseline + float(target["max_rise"])
    if "max_relative_drop" in target:
        return baseline - abs(baseline) * float(target["max_relative_drop"])
    return baseline + abs(baseline) * float(target["max_relative_rise"])


def evaluate(
    spec: Specification,
    evidence: Mapping[str, Evidence],
    *,
    now: datetime,
    waivers: Mapping[str, Waiver] | None = None,
    baselines: Mapping[str, float | None] | None = None,
    target: str | None = None,
) -> Result:
    """The result tree of ``spec`` given the ``evidence`` of each measurement and externally
    assessed or attested element (by id), the active ``waivers`` (by element id) and, for
    measurements with relative targets, the ``baselines`` value (None when the baseline has
    no conformant run). When ``target`` (the one evaluated) is itself the baseline, a
    relative measurement is compared with its own value: the baseline cannot fall short of
    itself, and that is how a first baseline becomes conformant."""
    judge = _Judge(evidence, waivers or {}, baselines or {}, now, target)
    return judge.element(spec, "spec")


@dataclass(frozen=True)
class _Judge:
    evidence: Mapping[str, Evidence]
    waivers: Mapping[str, Waiver]
    baselines: Mapping[str, float | None]
    now: datetime
    target: str | None = None

    def element(self, element: Element, kind: str) -> Result:
        details: dict[str, Any] = {}
        if isinstance(element, Requirement):
            details = {"severity": element.severity, "risks": tuple(element.risks)}
        if element.external:
            result = self.verdict(element, kind, details)
        elif isinstance(element, Measurement):
            result = self.measurement(element)
        else:
            children = _children(element)
            if children:
                results = tuple(self.element(child, child_kind) for child, child_kind in children)
                counted = [r.outcome for r in results if r.severity != "advisory"]
                result = Result(
                    element.id,
                    element.name,
                    kind,
                    aggregate(counted),
                    results,
                    element.confidential,
                    **details,
                )
            else:
                result = self.verdict(element, kind, details)
        return self.waive(result)

    def verdict(self, element: Element, kind: str, details: dict[str, Any]) -> Result:
        """An assessor's (or an attesting person's) pass/fail for a whole element."""
        found = self.evidence.get(element.id)
        base = {
            "id": element.id,
            "name": element.name,
            "kind": kind,
            "confidential": element.confidential,
            "assessor": element.assessor,
            **details,
        }
        if found is None:
            reason = (
                "no verdict: the assessor's interface gave nothing"
                if element.external
                else "nothing to evaluate: record a verdict with assay audit attest"
            )
            return Result(outcome=Outcome.error, error=reason, **base)
        provenance = {
            "value": found.value,
            "source": found.source,
            "collected_at": found.collected_at,
            "attested_by": found.attested_by,
        }
        if found.error is not None:
            return Result(outcome=Outcome.error, error=found.error, **base, **provenance)
        if self.expired(found):
            return Result(
                outcome=Outcome.stale, error=self.expiry_reason(found), **base, **provenance
            )
        boolean = DATA_TYPES.get("boolean")
        assert boolean is not None
        try:
            verdict = boolean.read(found.value, [])
        except ValueMismatchError as error:
            return Result(
                outcome=Outcome.error, error=f"not a verdict: {error}", **base, **provenance
            )
        outcome = Outcome.passed if verdict else Outcome.failed
        return Result(outcome=outcome, **base, **provenance)

    def measurement(self, measurement: Measurement) -> Result:
        found = self.evidence.get(measurement.id)
        data_type = DATA_TYPES.get(measurement.data_type)
        comparison = COMPARISONS.get(measurement.comparison)
        # Both were checked when the spec was loaded.
        assert data_type is not None
        assert comparison is not None
        scale = measurement.scale or []
        base: dict[str, Any] = {
            "id": measurement.id,
            "name": measurement.name,
            "kind": "measurement",
            "confidential": measurement.confidential,
            "target": measurement.target,
            "comparison": comparison.name,
            "data_type": data_type.name,
            "extra": {"tolerance": measurement.tolerance} if measurement.tolerance else {},
        }
        if found is None:
            reason = "no value: the measurement has no assessment_interface and no attestation"
            return Result(outcome=Outcome.error, error=reason, **base)
        base |= {
            "source": found.source,
            "collected_at": found.collected_at,
            "attested_by": found.attested_by,
        }
        if found.error is not None:
            return Result(outcome=Outcome.error, error=found.error, **base)
        if self.expired(found):
            return Result(
                outcome=Outcome.stale, value=found.value, error=self.expiry_reason(found), **base
            )
        try:
            value = data_type.read(found.value, scale)
        except ValueMismatchError as error:
            return Result(
                outcome=Outcome.error, value=found.value, error=f"not comparable: {error}", **base
            )
        target = measurement.target
        if isinstance(target, dict):
            itself = target["baseline"] == self.target and isinstance(value, int | float)
            baseline = float(value) if itself else self.baselines.get(measurement.id)
            if baseline is None:
                reason = (
                    f"no conformant run of the baseline target {target['baseline']!r} "
                    "holds this measurement"
                )
                return Result(outcome=Outcome.error, value=value, error=reason, **base)
            base["extra"] = {
                **base["extra"],
                "baseline": target["baseline"],
                "baseline_value": baseline,
            }
            target = relative_target(target, baseline)
            base["target"] = target
        prepared = prepare_target(comparison, data_type, target, scale, measurement.tolerance)
        satisfied = holds(comparison, data_type, value, prepared, scale, measurement.tolerance)
        return Result(outcome=Outcome.passed if satisfied else Outcome.failed, value=value, **base)

    def waive(self, result: Result) -> Result:
        waiver = self.waivers.get(result.id)
        if waiver is None or not waiver.active(self.now) or result.outcome is not Outcome.failed:
            return result
        return replace(result, outcome=Outcome.waived, waiver=waiver)

    def expired(self, found: Evidence) -> bool:
        return found.expires is not None and found.expires <= self.now

    @staticmethod
    def expiry_reason(found: Evidence) -> str:
        who = f" by {found.attested_by}" if found.attested_by else ""
        assert found.expires is not None
        return f"the evidence{who} expired on {found.expires.isoformat(timespec='seconds')}"


def _children(element: Element) -> list[tuple[Element, str]]:
    if isinstance(element, Specification):
        return [(child, "dimension") for child in element.dimensions]
    if isinstance(element, Dimension):
        return [(child, "requirement") for child in element.requirements]
    if isinstance(element, Requirement):
        return [(child, "metric") for child in element.metrics]
    if isinstance(element, Metric):
        return [(child, "measurement") for child in element.measurements]
    return []

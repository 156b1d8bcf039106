"""Why a gate decided as it did, one reason per element, in words a CI log reader acts on:
"accuracy: 0.74 is below the target ≥ 0.8", "risk-assessment: nothing to evaluate: record a
verdict with assay audit attest"."""

from __future__ import annotations

from assay.audit.run_model import ElementResult, MeasurementResult, RunModel
from assay.reports.wording import shortfall

__all__ = ["gate_failures", "gate_undecided"]


def _blocking_leaves(run: RunModel) -> list[ElementResult]:
    return [
        leaf
        for dimension in run.dimensions
        for requirement in dimension.requirements
        if requirement.severity != "advisory"
        for leaf in requirement.leaves()
    ]


def gate_failures(run: RunModel) -> list[str]:
    """Each blocking element that failed, with why ("accuracy: 0.74 is below the target ≥
    0.8"); an attested failure names who judged it."""
    reasons = []
    for element in _blocking_leaves(run):
        if element.outcome != "fail":
            continue
        if isinstance(element, MeasurementResult) and element.comparison:
            reasons.append(f"{element.id}: {shortfall(element.model_dump())}")
        else:
            who = f" by {element.attested_by}" if element.attested_by else ""
            reasons.append(f"{element.id}: judged fail{who}")
    return reasons or ["the verdict is fail"]


def gate_undecided(run: RunModel) -> list[str]:
    """Each blocking element without a usable value, with why (a collection error, a missing
    attestation, stale evidence)."""
    reasons = []
    for element in _blocking_leaves(run):
        if element.outcome == "error":
            reasons.append(f"{element.id}: {element.error or 'no value'}")
        elif element.outcome == "stale":
            reasons.append(f"{element.id}: its evidence is stale")
    return reasons or ["the verdict is error"]

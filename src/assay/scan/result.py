"""A scan's result: every probe's finding (automatic and, where one is in force, overridden),
the frameworks it pre-fills and the capability map, as one JSON document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.maturity.frameworks import Framework
from assay.scan.definitions import CapabilityCatalog, ProbeDefinition
from assay.scan.fill import fill_capabilities, fill_iml4e, fill_marvelous, fill_ml_test_score
from assay.scan.findings import Finding, Outcome
from assay.scan.overrides import AppliedOverrides

__all__ = ["SCAN_SCHEMA", "ScanInputs", "scan_document"]

SCAN_SCHEMA = "assay.scan/1"
FRAMEWORK_IDS = ("iml4e", "marvelous", "ml-test-score")


@dataclass(frozen=True)
class ScanInputs:
    """What a scan read and found, before it is turned into a document."""

    repository: Mapping[str, Any]
    mlflow: Mapping[str, Any] | None
    scanned_at: str
    findings: Sequence[Finding]
    definitions: Sequence[ProbeDefinition]
    overrides: AppliedOverrides
    project: str


def effective_outcomes(
    findings: Sequence[Finding], overrides: AppliedOverrides
) -> dict[str, Outcome]:
    """Each probe's answer after the overrides in force."""
    return {
        f.probe: overrides.active[f.probe].reason.outcome
        if f.probe in overrides.active
        else f.outcome
        for f in findings
    }


def _finding(
    definition: ProbeDefinition, finding: Finding, outcome: Outcome, override: Any
) -> dict[str, Any]:
    return {
        "id": definition.id,
        "title": definition.title,
        "question": definition.question,
        "outcome": outcome.value,
        "automatic": {
            "outcome": finding.outcome.value,
            "confidence": finding.confidence.value,
            "reason": finding.reason,
        },
        "override": override.to_dict() if override is not None else None,
        "tools": list(finding.tools),
        "evidence": [evidence.to_dict() for evidence in finding.evidence],
        "severity": definition.severity,
        "remediation": definition.remediation,
        "maps_to": definition.maps_to(),
        "ethics": list(definition.ethics),
    }


def scan_document(
    inputs: ScanInputs,
    frameworks: Mapping[str, Framework],
    catalog: CapabilityCatalog,
) -> dict[str, Any]:
    """The scan as JSON: ``findings`` in probe-id order (finding id = probe id, so two scans
    diff cleanly), ``frameworks`` for each framework given, ``capabilities`` for all eighteen."""
    by_id = {definition.id: definition for definition in inputs.definitions}
    outcomes = effective_outcomes(inputs.findings, inputs.overrides)
    findings = [
        _finding(by_id[f.probe], f, outcomes[f.probe], inputs.overrides.active.get(f.probe))
        for f in sorted(inputs.findings, key=lambda f: f.probe)
    ]
    filled: dict[str, Any] = {}
    if "iml4e" in frameworks:
        filled["iml4e"] = fill_iml4e(frameworks["iml4e"], inputs.definitions, outcomes)
    if "marvelous" in frameworks:
        filled["marvelous"] = fill_marvelous(frameworks["marvelous"], inputs.definitions, outcomes)
    if "ml-test-score" in frameworks:
        filled["ml-test-score"] = fill_ml_test_score(
            frameworks["ml-test-score"], inputs.definitions, outcomes
        )
    effective = [
        Finding(f.probe, outcomes[f.probe], f.confidence, f.reason, f.evidence, f.tools)
        for f in inputs.findings
    ]
    counts = Counter(outcome.value for outcome in outcomes.values())
    return {
        "schema": SCAN_SCHEMA,
        "project": inputs.project,
        "repository": dict(inputs.repository),
        "mlflow": dict(inputs.mlflow) if inputs.mlflow is not None else None,
        "scanned_at": inputs.scanned_at,
        "summary": {outcome.value: counts.get(outcome.value, 0) for outcome in Outcome},
        "findings": findings,
        "frameworks": filled,
        "capabilities": fill_capabilities(catalog, inputs.definitions, effective),
        "overrides": {
            "active": [o.to_dict() for o in inputs.overrides.active.values()],
            "expired": [o.to_dict() for o in inputs.overrides.expired],
            "unused": [{**o.to_dict(), "why": why} for o, why in inputs.overrides.unused],
        },
    }

"""Pre-filling the maturity frameworks and the capability map from probe outcomes.

IML4E: per topic, the level credited tier by tier and the ceiling the evidence allows.
Marvelous: per statement, yes when every mapped requirement is met, no when one is refuted.
ML Test Score: per test 0, 0.5 or 1 (or unknown), section sums of what is known, and the final
score as the lowest section sum, marked incomplete while a test is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assay.maturity.frameworks import Framework
from assay.scan.definitions import CapabilityCatalog, ProbeDefinition, TierMapping
from assay.scan.findings import Finding, Outcome
from assay.scan.tiers import credit_tiers, requirement_outcome

__all__ = ["fill_capabilities", "fill_iml4e", "fill_marvelous", "fill_ml_test_score"]


def _requirements(
    mappings: Sequence[tuple[str, TierMapping]],
) -> dict[float, list[list[str]]]:
    """Per tier, the requirements: probes sharing an alternative label form one requirement."""
    tiers: dict[float, dict[str, list[str]]] = {}
    for probe, mapping in mappings:
        key = mapping.alternative or f"probe:{probe}"
        tiers.setdefault(mapping.tier, {}).setdefault(key, []).append(probe)
    return {tier: list(groups.values()) for tier, groups in tiers.items()}


def _by_target(
    definitions: Sequence[ProbeDefinition], attribute: str
) -> dict[str, list[tuple[str, TierMapping]]]:
    targets: dict[str, list[tuple[str, TierMapping]]] = {}
    for definition in definitions:
        for mapping in getattr(definition, attribute):
            targets.setdefault(mapping.target, []).append((definition.id, mapping))
    return targets


def fill_iml4e(
    framework: Framework, definitions: Sequence[ProbeDefinition], outcomes: Mapping[str, Outcome]
) -> dict[str, Any]:
    """Per IML4E topic the evidence reaches: ``credited`` (the level every tier up to which is
    met; the suggestion), ``ceiling`` (the highest level the evidence still allows) and the
    probes behind it. Topics no probe maps to are left out."""
    targets = _by_target(definitions, "iml4e")
    topics: dict[str, Any] = {}
    for area in framework.areas:
        for topic in area.topics:
            if topic.id not in targets:
                continue
            verdict = credit_tiers(
                _requirements(targets[topic.id]),
                outcomes,
                step_below={level: level - 1 for level in range(0, 5)},
            )
            credited = None if verdict.credited is None else int(verdict.credited)
            ceiling = None if verdict.ceiling is None else max(0, int(verdict.ceiling))
            topics[topic.id] = {
                "area": area.id,
                "name": topic.name,
                "credited": credited,
                "ceiling": ceiling,
                "suggested": credited,
                "refuted_by": list(verdict.refuted_by),
                "unknown": list(verdict.unknown),
                "probes": list(verdict.basis),
            }
    return {"framework": framework.id, "version": framework.version, "topics": topics}


def fill_marvelous(
    framework: Framework, definitions: Sequence[ProbeDefinition], outcomes: Mapping[str, Outcome]
) -> dict[str, Any]:
    """Per Marvelous statement some probe maps to: yes, no or unknown, and the probes."""
    mapped: dict[str, list[str]] = {}
    for definition in definitions:
        for statement_id in definition.marvelous:
            mapped.setdefault(statement_id, []).append(definition.id)
    statements: dict[str, Any] = {}
    for statement in framework.statements:
        probes = mapped.get(statement.id)
        if not probes:
            continue
        answers = [requirement_outcome([probe], outcomes) for probe in probes]
        if Outcome.no in answers:
            answer = Outcome.no
        elif (
            answers
            and all(a in (Outcome.yes, Outcome.not_applicable) for a in answers)
            and Outcome.yes in answers
        ):
            answer = Outcome.yes
        else:
            answer = Outcome.unknown
        statements[statement.id] = {
            "text": statement.text,
            "answer": answer.value,
            "probes": probes,
        }
    return {"framework": framework.id, "version": framework.version, "statements": statements}


def fill_ml_test_score(
    framework: Framework, definitions: Sequence[ProbeDefinition], outcomes: Mapping[str, Outcome]
) -> dict[str, Any]:
    """Per test: ``score`` (1 automated, 0.5 manual, 0 refuted, None unknown) and ``at_most``;
    per section the sum of known scores and the count of unknown tests; ``final`` the lowest
    section sum (a lower bound while ``complete`` is false)."""
    targets = _by_target(definitions, "ml_test_score")
    sections: list[dict[str, Any]] = []
    for section in framework.sections:
        tests: dict[str, Any] = {}
        for statement in section.statements:
            mappings = targets.get(statement.id)
            if not mappings:
                tests[statement.id] = {
                    "text": statement.text,
                    "score": None,
                    "at_most": None,
                    "probes": [],
                }
                continue
            verdict = credit_tiers(_requirements(mappings), outcomes, step_below={0.5: 0.0, 1: 0.5})
            score = verdict.credited
            if score is None and verdict.ceiling is not None:
                score = 0.0
            tests[statement.id] = {
                "text": statement.text,
                "score": score,
                "at_most": verdict.ceiling,
                "probes": list(verdict.basis),
            }
        known = [test["score"] for test in tests.values() if test["score"] is not None]
        sections.append(
            {
                "id": section.id,
                "name": section.name,
                "sum": float(sum(known)),
                "unknown": sum(1 for test in tests.values() if test["score"] is None),
                "tests": tests,
            }
        )
    return {
        "framework": framework.id,
        "version": framework.version,
        "sections": sections,
        "final": min(section["sum"] for section in sections) if sections else None,
        "complete": all(section["unknown"] == 0 for section in sections),
    }


def fill_capabilities(
    catalog: CapabilityCatalog, definitions: Sequence[ProbeDefinition], findings: Sequence[Finding]
) -> dict[str, Any]:
    """For every capability id: ``present`` (true if a mapped probe is yes, false if every
    applicable one is no, else null), the tools seen providing it and the evidence behind it."""
    by_probe = {finding.probe: finding for finding in findings}
    result: dict[str, Any] = {}
    for capability in catalog.capabilities:
        probes = [d.id for d in definitions if capability.id in d.capabilities]
        mapped = [by_probe[p] for p in probes if p in by_probe]
        yes = [f for f in mapped if f.outcome is Outcome.yes]
        applicable = [f for f in mapped if f.outcome is not Outcome.not_applicable]
        present: bool | None
        if yes:
            present = True
        elif applicable and all(f.outcome is Outcome.no for f in applicable):
            present = False
        else:
            present = None
        seen = {tool for f in yes for tool in f.tools}
        tools = catalog.tools_for(capability.id, seen) or sorted(seen)
        result[capability.id] = {
            "name": capability.name,
            "group": capability.group_name,
            "present": present,
            "tools": tools,
            "probes": probes,
            "evidence": [
                {
                    "probe": f.probe,
                    "id": e.id,
                    **({"path": e.path, "start_line": e.start_line} if e.path else {"uri": e.uri}),
                }
                for f in yes
                for e in f.evidence[:2]
            ],
            "iml4e_tools": list(capability.iml4e_tools),
        }
    return result

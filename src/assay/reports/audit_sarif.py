"""An audit run (a gate's result) as SARIF 2.1.0, for code-scanning tools such as GitHub's: one
rule per measurement, one result per measurement outcome, located at the line of the spec file
that declares the measurement. No I/O: the spec's text is handed in.

Levels follow outcome and severity: a failed measurement of a blocking requirement is an
``error``, of a non-blocking one a ``warning``; an undecided one (no value, a collector error)
a ``warning``; a waived failure a ``note`` with the waiver as an accepted suppression. A pass is
kind ``pass`` with level ``none``, as SARIF requires of every kind but ``fail``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from assay.reports.scan_sarif import SARIF_SCHEMA

__all__ = ["audit_sarif", "declaration_lines"]

INFORMATION_URI = "https://github.com/assay/assay/blob/main/docs/audit.md"


def declaration_lines(spec_text: str) -> dict[str, int]:
    """The 1-based line where each ``id:`` of the spec text is declared (its first
    occurrence), read from YAML or JSON text without parsing it again."""
    lines: dict[str, int] = {}
    pattern = re.compile(r"""^\s*(?:-\s*)?["']?id["']?\s*:\s*["']?([^"'#,}\s]+)""")
    for number, line in enumerate(spec_text.splitlines(), start=1):
        found = pattern.match(line)
        if found:
            lines.setdefault(found.group(1), number)
    return lines


def _measurements(
    model: Mapping[str, Any],
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    for dimension in model.get("dimensions", []):
        for requirement in dimension.get("requirements", []):
            for metric in requirement.get("metrics", []):
                for measurement in metric.get("measurements", []):
                    yield requirement, measurement


def _level(outcome: str, severity: str, waived: bool) -> tuple[str, str]:
    if outcome == "pass":
        return "pass", "none"
    if waived:
        return "fail", "note"
    if outcome == "fail":
        return "fail", "error" if severity == "blocking" else "warning"
    return "fail", "warning"


def _message(measurement: Mapping[str, Any], requirement: Mapping[str, Any]) -> str:
    name = measurement.get("name") or measurement["id"]
    outcome = measurement.get("outcome")
    text = f"{name}: {outcome}"
    if "value" in measurement:
        text += f" (value {measurement.get('value')!r}"
        if measurement.get("comparison") and measurement.get("target") is not None:
            text += f", expected {measurement['comparison']} {measurement['target']!r}"
        text += ")"
    if measurement.get("error"):
        text += f": {measurement['error']}"
    return f"{text} — requirement {requirement['id']} ({requirement.get('severity')})"


def audit_sarif(
    model: Mapping[str, Any], spec_uri: str, spec_text: str, version: str
) -> dict[str, Any]:
    """The SARIF log of a run ``model`` (as :func:`for_audience` gives it) whose spec is the
    file ``spec_uri`` (relative to the repository root, for code scanning) with ``spec_text``."""
    lines = declaration_lines(spec_text)
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for requirement, measurement in _measurements(model):
        rule_id = str(measurement["id"])
        if rule_id not in index:
            index[rule_id] = len(rules)
            rules.append(
                {
                    "id": rule_id,
                    "name": "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", rule_id)),
                    "shortDescription": {"text": str(measurement.get("name") or rule_id)},
                    "fullDescription": {
                        "text": f"{measurement.get('name') or rule_id}, a measurement of "
                        f"requirement {requirement['id']}: {requirement.get('name')}"
                    },
                    "helpUri": INFORMATION_URI,
                    "defaultConfiguration": {
                        "level": "error"
                        if requirement.get("severity", "blocking") == "blocking"
                        else "warning"
                    },
                    "properties": {"tags": ["ml-audit", f"requirement/{requirement['id']}"]},
                }
            )
        outcome = str(measurement.get("outcome"))
        waiver = measurement.get("waiver")
        kind, level = _level(outcome, str(requirement.get("severity")), waiver is not None)
        line = lines.get(rule_id, 1)
        result: dict[str, Any] = {
            "ruleId": rule_id,
            "ruleIndex": index[rule_id],
            "kind": kind,
            "level": level,
            "message": {"text": _message(measurement, requirement)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": spec_uri},
                        "region": {"startLine": line},
                    }
                }
            ],
            "partialFingerprints": {
                "assayMeasurement/v1": hashlib.sha256(
                    f"{model['spec']['id']}\n{model['target']}\n{rule_id}".encode()
                ).hexdigest()
            },
            "properties": {"outcome": outcome, "requirement": requirement["id"]},
        }
        if isinstance(waiver, Mapping):
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"waived by {waiver.get('by')} until "
                    f"{waiver.get('expires')}: {waiver.get('justification')}",
                }
            ]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "assay audit",
                "informationUri": INFORMATION_URI,
                "semanticVersion": version,
                "version": version,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"assay-audit/{model['spec']['id']}/{model['target']}/"},
        "results": results,
        "properties": {
            "verdict": model["verdict"],
            "runId": model["run_id"],
            "specSha256": model["spec"]["hash"],
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}

"""The scan as SARIF 2.1.0 (OASIS), for code-scanning tools such as GitHub's: one rule per
probe, one result per finding. A ``no`` is a failure with the probe's severity as its level;
``yes``, ``unknown`` and ``not_applicable`` are pass, review and notApplicable results (level
``none``, as SARIF requires of every kind but fail). An override in force is a suppression."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.scan.definitions import ProbeDefinition

__all__ = ["SARIF_SCHEMA", "override_text", "scan_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/assay/assay/blob/main/docs/scan.md"
_LEVEL = {"high": "error", "medium": "warning", "low": "note", "note": "note"}
_KIND = {"yes": "pass", "no": "fail", "unknown": "review", "not_applicable": "notApplicable"}


def override_text(override: dict[str, Any]) -> str:
    """An override in one line: reason, who, until when, why."""
    return (
        f"{override['reason']} by {override['by']} until {override['expires']}: "
        f"{override['justification']}"
    )


def _rule(definition: ProbeDefinition) -> dict[str, Any]:
    outcomes = "\n".join(f"- **{k}**: {v}" for k, v in definition.outcomes.items())
    return {
        "id": definition.id,
        "name": "".join(part.capitalize() for part in definition.id.split("-")),
        "shortDescription": {"text": definition.title},
        "fullDescription": {"text": definition.question},
        "help": {
            "text": f"{definition.question} {definition.remediation}",
            "markdown": f"{definition.question}\n\n{outcomes}\n\n"
            f"**Remediation:** {definition.remediation}",
        },
        "helpUri": f"{INFORMATION_URI}#{definition.id}",
        "defaultConfiguration": {"level": _LEVEL[definition.severity]},
        "properties": {
            "tags": [
                "mlops",
                *definition.capabilities,
                *(f"ethics/{e}" for e in definition.ethics),
            ],
            "precision": "high",
        },
    }


def _location(evidence: dict[str, Any]) -> dict[str, Any] | None:
    if "path" not in evidence:
        return None
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": evidence["path"], "uriBaseId": "SRCROOT"}
    }
    if evidence.get("start_line"):
        physical["region"] = {
            "startLine": evidence["start_line"],
            "endLine": evidence.get("end_line") or evidence["start_line"],
            "snippet": {"text": evidence["snippet"]},
        }
    return {"physicalLocation": physical}


def _result(finding: dict[str, Any], index: int, definition: ProbeDefinition) -> dict[str, Any]:
    outcome = finding["outcome"]
    kind = _KIND[outcome]
    locations = [loc for loc in (_location(e) for e in finding["evidence"]) if loc is not None]
    fingerprint = hashlib.sha256(
        "\n".join([finding["id"], outcome, *sorted(e["id"] for e in finding["evidence"])]).encode()
    ).hexdigest()
    result: dict[str, Any] = {
        "ruleId": finding["id"],
        "ruleIndex": index,
        "kind": kind,
        "level": _LEVEL[definition.severity] if kind == "fail" else "none",
        "message": {
            "text": f"{definition.title}: {outcome.replace('_', ' ')} — "
            + finding["automatic"]["reason"]
        },
        "partialFingerprints": {"assayFinding/v1": fingerprint},
        "properties": {
            "automaticOutcome": finding["automatic"]["outcome"],
            "confidence": finding["automatic"]["confidence"],
            "tools": finding["tools"],
        },
    }
    if locations:
        result["locations"] = locations[:10]
    override = finding["override"]
    if override is not None:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": override_text(override),
            }
        ]
    return result


def scan_sarif(
    document: dict[str, Any], definitions: Sequence[ProbeDefinition], version: str
) -> dict[str, Any]:
    """The SARIF log of a scan document (see the module docstring)."""
    order = {definition.id: index for index, definition in enumerate(definitions)}
    by_id = {definition.id: definition for definition in definitions}
    root = Path(document["repository"]["path"]).as_uri().rstrip("/") + "/"
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "assay scan",
                "informationUri": INFORMATION_URI,
                "semanticVersion": version,
                "version": version,
                "rules": [_rule(definition) for definition in definitions],
            }
        },
        "automationDetails": {"id": f"assay-scan/{document['project']}/"},
        "originalUriBaseIds": {"SRCROOT": {"uri": root}},
        "results": [
            _result(finding, order[finding["id"]], by_id[finding["id"]])
            for finding in document["findings"]
        ],
        "properties": {"summary": document["summary"]},
    }
    commit = document["repository"].get("commit")
    if commit:
        run["versionControlProvenance"] = [{"repositoryUri": root, "revisionId": commit}]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}

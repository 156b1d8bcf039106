"""What an executive reads first: the requirements a run did not meet, the risks they leave
open and what to do about each, from the run as an auditor may see it (confidential values
read ``[confidential]`` and are never quoted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.audit.confidentiality import REDACTED
from assay.audit.run_model import RunModel
from assay.reports.wording import label, pair, target_text

__all__ = ["attention", "open_risks"]

_ORDER = {"fail": 0, "error": 1, "stale": 2}


def _action(node: Mapping[str, Any]) -> str | None:
    outcome, name = node["outcome"], label(node)
    if outcome == "fail" and node.get("comparison"):
        if REDACTED in (node.get("value"), node.get("target")):
            return f"bring {name} back within its target"
        now, _ = pair(node.get("value"), node.get("target"))
        return f"bring {name} to {target_text(node)} (now {now})"
    if outcome == "fail":
        who = f" by {node['attested_by']}" if node.get("attested_by") else ""
        return f"{name} was judged fail{who}: address it, then attest again"
    if outcome == "error":
        return f"{name}: {node.get('error') or 'no value could be collected'}"
    if outcome == "stale":
        return f"{name}: its evidence is out of date; collect or attest it again"
    return None


def attention(run: RunModel) -> list[dict[str, Any]]:
    """Each requirement of ``run`` (as an auditor sees it) that did not pass and is not
    waived, blocking ones first, then by outcome: its id, name, outcome, severity, risks and
    the actions that would fix it."""
    found = [
        {
            "id": requirement.id,
            "name": requirement.name,
            "outcome": requirement.outcome,
            "severity": requirement.severity,
            "risks": list(requirement.risks),
            "actions": [
                text
                for leaf in requirement.leaves()
                if (text := _action(leaf.model_dump())) is not None
            ],
        }
        for dimension in run.dimensions
        for requirement in dimension.requirements
        if requirement.outcome in _ORDER
    ]
    found.sort(key=lambda item: (item["severity"] != "blocking", _ORDER[str(item["outcome"])]))
    return found


def open_risks(items: list[dict[str, Any]]) -> list[str]:
    """The risks named by ``items`` (from :func:`attention`), each once, in order."""
    return list(dict.fromkeys(risk for item in items for risk in item["risks"]))

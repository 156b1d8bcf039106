"""What an executive reads first: the requirements a run did not meet, the risks they leave
open and what to do about each, from the run as an auditor may see it (confidential values
read ``[confidential]`` and are never quoted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.audit.confidentiality import REDACTED
from assay.audit.run_model import element_rows, walk_model
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


def attention(model: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each requirement that did not pass (and is not waived), blocking ones first, then by
    outcome: its id, name, outcome, severity, risks and the actions that would fix it."""
    found = []
    for kind, node, _ in element_rows(model["dimensions"]):
        if kind != "requirement" or node["outcome"] not in _ORDER:
            continue
        leaves = [
            child
            for child_kind, child in walk_model(node, "requirement")
            if child_kind == "measurement"
            or not any(child.get(key) for key in ("metrics", "measurements"))
        ]
        actions = [text for leaf in leaves if (text := _action(leaf)) is not None]
        found.append(
            {
                "id": node["id"],
                "name": node["name"],
                "outcome": node["outcome"],
                "severity": node.get("severity", "blocking"),
                "risks": list(node.get("risks", [])),
                "actions": actions,
            }
        )
    found.sort(key=lambda item: (item["severity"] != "blocking", _ORDER[item["outcome"]]))
    return found


def open_risks(items: list[dict[str, Any]]) -> list[str]:
    """The risks named by ``items`` (from :func:`attention`), each once, in order."""
    return list(dict.fromkeys(risk for item in items for risk in item["risks"]))

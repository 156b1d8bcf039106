"""Where people's answers and the scan's evidence disagree: per topic (statement, test) the
human answer, the evidence-based suggestion and a conflict flag with the reason, so the
disagreement becomes a discussion to have rather than a silent correction. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.maturity.frameworks import Framework, FrameworkKind

__all__ = ["compare_with_evidence"]


def _reasons(scan: Mapping[str, Any], probes: list[str], outcome: str | None = None) -> str:
    """The reasons of ``probes`` (only those that answered ``outcome``, when given)."""
    findings = {finding["id"]: finding for finding in scan["findings"]}
    parts = [
        f"{probe}: {findings[probe]['automatic']['reason']}"
        for probe in probes
        if probe in findings and (outcome is None or findings[probe]["outcome"] == outcome)
    ]
    return "; ".join(parts)


def _item(
    item_id: str, name: str, answered: Any, suggested: Any, ceiling: Any, message: str | None
) -> dict[str, Any]:
    return {
        "id": item_id,
        "name": name,
        "answered": answered,
        "suggested": suggested,
        "ceiling": ceiling,
        "conflict": message is not None,
        "message": message,
    }


def _level_items(
    framework: Framework,
    answered: Mapping[str, Any],
    filled: Mapping[str, Any],
    scan: Mapping[str, Any],
) -> list[dict[str, Any]]:
    items = []
    names = {topic.id: topic.name for topic in framework.topics}
    for topic_id, evidence in filled["topics"].items():
        human = answered.get(topic_id)
        credited, ceiling = evidence["credited"], evidence["ceiling"]
        message = None
        if human is not None and ceiling is not None and human > ceiling:
            message = (
                f"answered level {human} for {names[topic_id].lower()}; the evidence allows at "
                f"most {ceiling}: " + _reasons(scan, evidence["refuted_by"], "no")
            )
        elif human is not None and credited is not None and human < credited:
            message = (
                f"answered level {human} for {names[topic_id].lower()}; the evidence supports "
                f"level {credited}: " + _reasons(scan, evidence["probes"], "yes")
            )
        items.append(_item(topic_id, names[topic_id], human, credited, ceiling, message))
    return items


def _statement_items(
    framework: Framework,
    answered: Mapping[str, Any],
    filled: Mapping[str, Any],
    scan: Mapping[str, Any],
) -> list[dict[str, Any]]:
    items = []
    texts = {statement.id: statement.text for statement in framework.statements}
    for statement_id, evidence in filled["statements"].items():
        human = answered.get(statement_id)
        found = evidence["answer"]
        message = None
        if human is not None and found in ("yes", "no") and human != (found == "yes"):
            message = (
                f"answered {'yes' if human else 'no'} to {statement_id} ({texts[statement_id]}); "
                f"the evidence says {found}: " + _reasons(scan, evidence["probes"], found)
            )
        items.append(_item(statement_id, texts[statement_id], human, found, None, message))
    return items


def _test_items(
    framework: Framework,
    answered: Mapping[str, Any],
    filled: Mapping[str, Any],
    scan: Mapping[str, Any],
) -> list[dict[str, Any]]:
    items = []
    for section in filled["sections"]:
        for test_id, evidence in section["tests"].items():
            if not evidence["probes"]:
                continue
            human = answered.get(test_id)
            score, at_most = evidence["score"], evidence["at_most"]
            message = None
            if human is not None and at_most is not None and human > at_most:
                message = (
                    f"answered {human:g} for {test_id} ({evidence['text']}); the evidence allows "
                    f"at most {at_most:g}: " + _reasons(scan, evidence["probes"], "no")
                )
            elif human is not None and score is not None and human < score:
                message = (
                    f"answered {human:g} for {test_id}; the evidence supports {score:g}: "
                    + _reasons(scan, evidence["probes"], "yes")
                )
            items.append(_item(test_id, evidence["text"], human, score, at_most, message))
    return items


def compare_with_evidence(
    framework: Framework, answered: Mapping[str, Any], scan: Mapping[str, Any]
) -> dict[str, Any]:
    """Compare consensus answers (topic → level, statement → bool, test → credit) with the
    scan's pre-filled ``framework``. Raises ``KeyError`` when the scan did not fill it."""
    filled = scan["frameworks"][framework.id]
    if framework.kind is FrameworkKind.levels:
        items = _level_items(framework, answered, filled, scan)
    elif framework.kind is FrameworkKind.checklist:
        items = _statement_items(framework, answered, filled, scan)
    else:
        items = _test_items(framework, answered, filled, scan)
    return {
        "scan": {
            "project": scan.get("project"),
            "commit": scan.get("repository", {}).get("commit"),
            "scanned_at": scan.get("scanned_at"),
        },
        "items": items,
        "conflicts": [item["message"] for item in items if item["conflict"]],
    }

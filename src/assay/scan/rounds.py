"""A scan saved as a maturity round, so ``assay maturity history`` shows scanned and answered
rounds side by side. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.maturity.frameworks import Framework

__all__ = ["scan_round_payload"]

SCANNER = "assay scan"


def scan_round_payload(
    document: Mapping[str, Any], framework: Framework, *, project: str, label: str
) -> dict[str, Any]:
    """The ``maturity.round`` payload of a scan: per area the lowest suggested level of the
    topics the evidence reaches (None where it reaches none), the suggestions as the answers of
    one respondent, "assay scan", and ``source: scan`` with the scanned commit."""
    filled = document["frameworks"][framework.id]
    answers: dict[str, Any] = {}
    scores: dict[str, Any]
    if framework.id == "marvelous":
        statements = filled["statements"]
        for statement_id, item in statements.items():
            if item["answer"] in ("yes", "no"):
                answers[statement_id] = {
                    "value": item["answer"] == "yes",
                    "evidence": "probes: " + ", ".join(item["probes"]),
                    "note": None,
                }
        scores = {
            "areas": {
                section.id: sum(
                    1 for s in section.statements if answers.get(s.id, {}).get("value") is True
                )
                for section in framework.sections
            },
            "mature": None,
        }
    else:
        topics = filled["topics"]
        areas: dict[str, int | None] = {}
        for area in framework.areas:
            levels = [
                topics[t.id]["suggested"]
                for t in area.topics
                if t.id in topics and topics[t.id]["suggested"] is not None
            ]
            areas[area.id] = min(levels) if levels else None
            for topic in area.topics:
                item = topics.get(topic.id)
                if item is not None and item["suggested"] is not None:
                    answers[topic.id] = {
                        "value": item["suggested"],
                        "evidence": "probes: " + ", ".join(item["probes"]),
                        "note": None,
                    }
        known = [level for level in areas.values() if level is not None]
        scores = {"areas": areas, "overall": min(known) if len(known) == len(areas) else None}
    return {
        "project": project,
        "round": label,
        "source": "scan",
        "commit": document["repository"].get("commit"),
        "framework": {"id": framework.id, "version": framework.version},
        "area_names": {area.id: area.name for area in framework.areas}
        | {section.id: section.name for section in framework.sections},
        "area_order": [area.id for area in framework.areas] + [s.id for s in framework.sections],
        "respondents": [{"name": SCANNER, "answers": answers}],
        "scores": scores,
    }

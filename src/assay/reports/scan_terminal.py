"""The scan for people in a terminal: one row per probe, the capability map, and the
frameworks it pre-fills."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from assay.reports.scan_sarif import override_text

__all__ = ["scan_view"]

_MARK = {"yes": "yes", "no": "NO", "unknown": "?", "not_applicable": "n/a"}
_STYLE = {"yes": "green", "no": "red", "unknown": "yellow", "not_applicable": "dim"}


def _where(evidence: list[dict[str, Any]]) -> str:
    if not evidence:
        return ""
    first = evidence[0]
    if "path" in first:
        place = str(first["path"]) + (f":{first['start_line']}" if first.get("start_line") else "")
    else:
        place = str(first.get("uri", ""))
    more = f" (+{len(evidence) - 1})" if len(evidence) > 1 else ""
    return place + more


def scan_view(document: dict[str, Any]) -> RenderableType:
    """Findings, capabilities and framework suggestions as Rich tables."""
    repository = document["repository"]
    head = Text(
        f"{document['project']}: {repository['path']} at "
        f"{(repository.get('commit') or 'no commit')[:12]}, "
        f"{repository['files']} files; "
        + ", ".join(f"{count} {name}" for name, count in document["summary"].items()),
        style="bold",
    )
    findings = Table("probe", "answer", "why", "evidence", title="Findings")
    for finding in document["findings"]:
        outcome = finding["outcome"]
        answer = Text(_MARK[outcome], style=_STYLE[outcome])
        why = finding["automatic"]["reason"]
        if finding["override"]:
            override = finding["override"]
            answer.append(f" (auto {_MARK[finding['automatic']['outcome']]})", style="dim")
            why = "override " + override_text(override)
        findings.add_row(finding["id"], answer, why, _where(finding["evidence"]))
    capabilities = Table("capability", "present", "tools", title="MLOps capabilities (IML4E)")
    for capability_id, capability in document["capabilities"].items():
        present = {
            True: ("covered", "green"),
            False: ("missing", "red"),
            None: ("unknown", "yellow"),
        }[capability["present"]]
        capabilities.add_row(
            capability_id, Text(present[0], style=present[1]), ", ".join(capability["tools"])
        )
    parts: list[RenderableType] = [head, findings, capabilities]
    frameworks = document["frameworks"]
    if "iml4e" in frameworks:
        topics = Table(
            "topic",
            "name",
            "credited",
            "at most",
            title="IML4E topics the evidence reaches",
        )
        for topic_id, topic in frameworks["iml4e"]["topics"].items():
            topics.add_row(
                topic_id,
                topic["name"],
                *(_level(topic[k]) for k in ("credited", "ceiling")),
            )
        parts.append(topics)
    if "marvelous" in frameworks:
        statements = Table(
            "statement", "answer", "probes", title="Marvelous statements the evidence reaches"
        )
        for statement_id, item in frameworks["marvelous"]["statements"].items():
            statements.add_row(statement_id, item["answer"], ", ".join(item["probes"]))
        parts.append(statements)
    if "ml-test-score" in frameworks:
        score = frameworks["ml-test-score"]
        sections = Table("section", "sum", "unknown tests", title="ML Test Score")
        for section in score["sections"]:
            sections.add_row(section["name"], f"{section['sum']:g}", str(section["unknown"]))
        final = f"{score['final']:g}" + (
            "" if score["complete"] else " (at least; some tests unknown)"
        )
        parts += [sections, Text(f"ML Test Score (lowest section sum): {final}")]
    overrides = document["overrides"]
    for label, items in (("expired", overrides["expired"]), ("unused", overrides["unused"])):
        for item in items:
            why = f": {item['why']}" if "why" in item else ""
            parts.append(
                Text(
                    f"{label} override of {item['probe']} (ledger entry {item['seq']}, "
                    f"expires {item['expires']}){why}",
                    style="yellow",
                )
            )
    return Group(*parts)


def _level(value: int | None) -> str:
    return "—" if value is None else str(value)

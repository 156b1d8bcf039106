"""An audit run for the terminal (``--format table``)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from assay.audit.run_model import element_rows
from assay.reports.wording import label, reason, show, target_text

__all__ = ["OUTCOME_STYLES", "brief", "run_view"]

OUTCOME_STYLES = {
    "pass": "green",
    "fail": "bold red",
    "error": "yellow",
    "stale": "yellow",
    "waived": "magenta",
}


def brief(value: Any, width: int = 48) -> str:
    """:func:`~assay.reports.wording.show` on one line, shortened to ``width`` characters for
    tables."""
    return textwrap.shorten(" ".join(show(value).split()), width, placeholder="…")


def _value_text(node: Mapping[str, Any]) -> str:
    return brief(node.get("value"))


def run_view(model: Mapping[str, Any]) -> RenderableType:
    """The verdict line and a table of every element, indented by level."""
    verdict = model["verdict"]
    spec = model["spec"]
    heading = Text.assemble(
        (f"{spec['name']} ", "bold"),
        f"(spec {spec['id']} v{spec.get('version', '?')}, sha256 {spec.get('hash', '')[:12]}) on ",
        (str(model["target"]), "bold"),
        ": ",
        (verdict.upper(), OUTCOME_STYLES.get(verdict, "")),
    )
    table = Table("element", "outcome", "value", "target", "source / reason")
    for _, node, depth in element_rows(model["dimensions"]):
        _add_row(table, node, depth)
    parts: list[RenderableType] = [heading, table]
    if "run_id" in model:
        ledger = model.get("ledger")
        where = f", ledger entries {ledger['first']}-{ledger['last']}" if ledger else ""
        parts.append(Text(f"run {model['run_id']}{where}", style="dim"))
    return Group(*parts)


def _add_row(table: Table, node: Mapping[str, Any], depth: int) -> None:
    outcome = node["outcome"]
    text = "  " * depth + label(node)
    if node.get("severity") == "advisory":
        text += " (advisory)"
    table.add_row(
        Text(text, style="bold" if depth == 0 else ""),
        Text(outcome, style=OUTCOME_STYLES.get(outcome, "")),
        _value_text(node),
        target_text(node),
        reason(node),
    )

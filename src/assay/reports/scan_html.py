"""The scan as one self-contained HTML page: summary, capability map, findings with their
evidence, overrides to review and the frameworks it pre-fills."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment

from assay.reports.templating import template_environment

__all__ = ["capability_groups", "scan_html"]


@cache
def _environment() -> Environment:
    return template_environment(html=True)


def capability_groups(capabilities: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The capabilities grouped as the catalog orders them, for the capability map."""
    groups: dict[str, list[tuple[str, Any]]] = {}
    for capability_id, capability in capabilities.items():
        groups.setdefault(capability["group"], []).append((capability_id, capability))
    return list(groups.items())


def scan_html(document: dict[str, Any]) -> str:
    """The HTML page of a scan document (text from the repository is escaped)."""
    return (
        _environment()
        .get_template("scan.html.j2")
        .render(scan=document, capability_groups=capability_groups(document["capabilities"]))
    )

"""Audit run reports as Markdown and self-contained HTML, per audience."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from jinja2 import Environment

from assay.audit.run_model import element_rows
from assay.reports.audit_json import Audience, waivers_of
from assay.reports.audit_terminal import OUTCOME_STYLES, brief, show
from assay.reports.templating import template_environment

__all__ = ["audit_report"]


@cache
def _environment(fmt: str) -> Environment:
    return template_environment(html=fmt == "html", filters={"show": show, "brief": brief})


def _rows(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Every element below the spec, with its kind and depth, in order."""
    return [
        {"node": node, "kind": kind, "depth": depth}
        for kind, node, depth in element_rows(model["dimensions"])
    ]


def audit_report(
    model: dict[str, Any], fmt: Literal["markdown", "html"] | str, audience: Audience
) -> str:
    """The report of a run model already cut to ``audience`` (see
    :func:`assay.reports.audit_json.for_audience`)."""
    detailed = audience in (Audience.engineer, Audience.auditor)
    context = {
        "model": model,
        "audience": audience.value,
        "detailed": detailed,
        "provenance": audience is Audience.auditor,
        "rows": _rows(model) if detailed else [],
        "styles": OUTCOME_STYLES,
        "waivers": model["waivers"] if "waivers" in model else waivers_of(model),
    }
    name = "audit.md.j2" if fmt == "markdown" else "audit.html.j2"
    return _environment(fmt).get_template(name).render(context)

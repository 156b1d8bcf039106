"""Audit run reports as Markdown and self-contained HTML, per audience."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from assay.reports.audit_json import Audience, children_of, waivers_of
from assay.reports.audit_terminal import OUTCOME_STYLES, brief, show

__all__ = ["audit_report"]


@cache
def _environment(fmt: str) -> Environment:
    environment = Environment(
        loader=PackageLoader("assay.reports", "templates"),
        autoescape=fmt == "html",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["cell"] = lambda value: " ".join(str(value).split()).replace("|", "\\|")
    environment.filters["children"] = children_of
    environment.filters["show"] = show
    environment.filters["brief"] = brief
    return environment


def _rows(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Every element below the spec, with its kind and depth, in order."""
    rows: list[dict[str, Any]] = []
    child_kind = {"dimension": "requirement", "requirement": "metric", "metric": "measurement"}

    def visit(node: Mapping[str, Any], kind: str, depth: int) -> None:
        rows.append({"node": node, "kind": kind, "depth": depth})
        if kind in child_kind:
            for child in children_of(node, kind):
                visit(child, child_kind[kind], depth + 1)

    for dimension in model["dimensions"]:
        visit(dimension, "dimension", 0)
    return rows


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

"""Audit run reports as Markdown and self-contained HTML, per audience."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Literal

from jinja2 import Environment

from assay.audit.run_model import element_rows
from assay.reports.attention import open_risks
from assay.reports.audit_json import Audience, waivers_of
from assay.reports.audit_terminal import OUTCOME_STYLES, brief
from assay.reports.numbers import seconds
from assay.reports.templating import template_environment
from assay.reports.wording import label, reason, show, target_text

__all__ = ["audit_report"]


@cache
def _environment(fmt: str) -> Environment:
    filters = {
        "show": show,
        "brief": brief,
        "label": label,
        "target": target_text,
        "reason": reason,
        "when": seconds,
    }
    return template_environment(html=fmt == "html", filters=filters)


def _rows(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Every element below the spec, with its kind and depth, in order."""
    return [
        {"node": node, "kind": kind, "depth": depth}
        for kind, node, depth in element_rows(model["dimensions"])
    ]


def audit_report(
    model: dict[str, Any],
    fmt: Literal["markdown", "html"] | str,
    audience: Audience,
    *,
    evidence: Sequence[Mapping[str, Any]] = (),
    risks: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The report of a run model already cut to ``audience`` (see
    :func:`assay.reports.audit_json.for_audience`). Auditors' reports list ``evidence``, the
    ledger entries of the run (:func:`assay.services.listings.evidence_digests`); executives'
    describe the open risks by ``risks`` (the spec's, by id) when given."""
    detailed = audience in (Audience.engineer, Audience.auditor)
    items = model.get("attention", [])
    context = {
        "model": model,
        "audience": audience.value,
        "detailed": detailed,
        "provenance": audience is Audience.auditor,
        "rows": _rows(model) if detailed else [],
        "styles": OUTCOME_STYLES,
        "waivers": model["waivers"] if "waivers" in model else waivers_of(model),
        "evidence": list(evidence) if audience is Audience.auditor else [],
        "attention": items,
        "open_risks": [{"id": risk, **(risks or {}).get(risk, {})} for risk in open_risks(items)],
    }
    name = "audit.md.j2" if fmt == "markdown" else "audit.html.j2"
    return _environment(fmt).get_template(name).render(context)

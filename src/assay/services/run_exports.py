"""A run or a specification as documents other tools read: OSCAL assessment results (with the
assessment plan they import), an OSCAL component definition, SARIF. The engineer audience sees
everything; the auditor audience sees confidential values as ``[confidential]``; the summary
audiences (executive, public) have no measurement-level view and are refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assay import __version__
from assay.audit.confidentiality import REDACTED, hidden_spec_paths, replace_at
from assay.audit.run_model import RunModel
from assay.errors import InvalidInputError
from assay.reports.audit_json import Audience, for_audience
from assay.reports.audit_sarif import audit_sarif
from assay.reports.oscal import (
    assessment_plan,
    assessment_results,
    component_definition,
    plan_file_name,
)

__all__ = [
    "DETAILED",
    "Document",
    "detailed_audience",
    "oscal_results",
    "sarif_log",
    "spec_component",
    "spec_plan",
]

DETAILED = (Audience.engineer, Audience.auditor)


@dataclass(frozen=True)
class Document:
    """A document to write: its file name (for a sibling of the main output) and text."""

    name: str
    text: str


def _text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def detailed_audience(audience: Audience, option: str = "--audience") -> None:
    """Refuse an audience that sees a summary only: OSCAL and SARIF list measurements."""
    if audience not in DETAILED:
        raise InvalidInputError(
            f"the {audience.value} audience sees a summary, not the measurements these formats "
            "list",
            source=option,
            expected="--audience engineer or auditor",
        )


def _detailed(run: RunModel, audience: Audience, option: str) -> dict[str, Any]:
    detailed_audience(audience, option)
    return for_audience(run, audience)


def _visible_spec(document: dict[str, Any], audience: Audience) -> dict[str, Any]:
    if audience is Audience.engineer:
        return document
    return replace_at(document, hidden_spec_paths(document), REDACTED)


def oscal_results(
    run: RunModel,
    audience: Audience,
    evidence: list[dict[str, Any]],
    spec_document: dict[str, Any] | None,
    *,
    option: str = "--audience",
) -> tuple[Document, Document | None]:
    """The assessment results of ``run`` and, when the spec's document is known, the
    assessment plan they import (its file name is the results' ``import-ap`` href)."""
    model = _detailed(run, audience, option)
    plan_name = plan_file_name(run.spec.id)
    results = assessment_results(model, evidence, tool_version=__version__, plan_href=plan_name)
    plan = None
    if spec_document is not None:
        plan = Document(
            plan_name,
            _text(
                assessment_plan(
                    _visible_spec(spec_document, audience),
                    run.spec.hash,
                    run.finished,
                    __version__,
                )
            ),
        )
    return Document("assessment-results.json", _text(results)), plan


def sarif_log(
    run: RunModel,
    audience: Audience,
    spec_uri: str,
    spec_text: str,
    *,
    option: str = "--audience",
) -> str:
    """The run as a SARIF log whose locations are lines of the spec file ``spec_uri``."""
    return _text(audit_sarif(_detailed(run, audience, option), spec_uri, spec_text, __version__))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def spec_component(document: dict[str, Any], spec_hash: str, audience: Audience) -> str:
    """The OSCAL component definition of a specification."""
    visible = _visible_spec(document, audience)
    return _text(component_definition(visible, spec_hash, _now(), __version__))


def spec_plan(document: dict[str, Any], spec_hash: str, audience: Audience) -> str:
    """The OSCAL assessment plan of a specification."""
    visible = _visible_spec(document, audience)
    return _text(assessment_plan(visible, spec_hash, _now(), __version__))

"""Audit runs: trigger, list, read, and their reports per audience."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response

from assay.audit.run_model import RunModel
from assay.errors import InvalidInputError
from assay.reports.audit_json import Audience, for_audience
from assay.server.api.answers import ERRORS, RunListItem, RunSummary
from assay.server.api.common import (
    READERS,
    Name,
    StrictBody,
    Target,
    audited_for,
    run_summary,
)
from assay.server.auth import caller, in_scope, store_of
from assay.server.errors import ApiError
from assay.server.guard import GuardedRoute, roles
from assay.server.signing import signed_response
from assay.services.audit_runs import run_audit
from assay.services.listings import evidence_digests, spec_risks
from assay.services.registrations import stored_spec
from assay.store import Store
from assay.store.audit_log import AuditLog
from assay.store.tokens import Role, Token

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute, responses=ERRORS)


class RunRequest(StrictBody):
    spec: Name
    target: Target


@router.post(
    "/runs",
    response_model=RunSummary,
    openapi_extra=roles(Role.auditee),
    status_code=201,
    summary="Run a spec on a target now (auditee)",
)
def trigger_run(body: RunRequest, request: Request) -> dict[str, Any]:
    token = caller(request, Role.auditee, spec=body.spec, target=body.target)
    store = store_of(request)
    loaded, prior = audited_for(store, request, body.spec, body.target)
    trigger = {"kind": "api", "by": token.name}
    confinement = request.app.state.settings.confinement
    return run_summary(
        run_audit(store, loaded, body.target, trigger=trigger, confinement=confinement, prior=prior)
    )


@router.get(
    "/runs",
    response_model=list[RunListItem],
    openapi_extra=roles(*READERS),
    summary="Audit runs, oldest first (auditee, auditor)",
)
def list_runs(
    request: Request, spec: str | None = None, target: str | None = None
) -> list[dict[str, Any]]:
    token = caller(request, *READERS)
    return [
        {
            "run_id": run.run_id,
            "target": run.target,
            "verdict": run.verdict,
            "started": run.started,
            "finished": run.finished,
            "seq": run.seq,
            "spec": run.spec.id,
        }
        for run in AuditLog(store_of(request).ledger).runs(spec, target)
        if in_scope(token, run.spec.id, run.target)
    ]


def _visible_run(request: Request, run_id: str) -> tuple[Token, RunModel]:
    token = caller(request, *READERS)
    run = AuditLog(store_of(request).ledger).run(run_id)
    if run is None or not in_scope(token, run.spec.id, run.target):
        raise ApiError(404, "unknown_run", f"no run {run_id!r} (or the prefix is ambiguous)")
    return token, run


@router.get(
    "/runs/{run_id}",
    response_model=RunModel,
    openapi_extra=roles(*READERS),
    summary="One run's outcome tree (auditee, auditor)",
)
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    token, run = _visible_run(request, run_id)
    if token.role is Role.auditor and not token.internal:
        return for_audience(run, Audience.auditor)
    return run.payload()


@router.get(
    "/runs/{run_id}/report",
    openapi_extra=roles(*READERS),
    summary="A run's report for an audience (auditee, auditor)",
    response_class=Response,
    responses={
        200: {
            "description": "the report in the format asked for, signed in the Assay-Signature "
            "header (docs/signing.md)",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "text/markdown": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
                "application/sarif+json": {"schema": {"type": "object"}},
            },
        }
    },
)
def get_report(
    run_id: str,
    request: Request,
    format: Literal["html", "markdown", "json", "oscal", "oscal-plan", "sarif"] = "html",
    audience: Audience = Audience.auditor,
) -> Response:
    """The report as ``assay audit run -f FORMAT --audience AUDIENCE`` renders it; auditors
    without internal access get the auditor or public view only. Reading stores nothing. The
    ``Assay-Signature`` header holds a DSSE envelope (base64) signed by the server's key whose
    in-toto subject is the SHA-256 of the body."""
    token, run = _visible_run(request, run_id)
    if (
        token.role is Role.auditor
        and not token.internal
        and audience not in (Audience.auditor, Audience.public)
    ):
        raise ApiError(
            403, "forbidden", "auditors without internal access read the auditor or public view"
        )
    if format in ("oscal", "oscal-plan", "sarif"):
        return _export(request, run, format, audience)
    model = for_audience(run, audience)
    if format == "json":
        text = json.dumps(model, indent=2, ensure_ascii=False) + "\n"
        media = "application/json"
    else:
        from assay.reports.audit_report import audit_report  # Jinja2: only for reports

        store = store_of(request)
        evidence = evidence_digests(store, run) if audience is Audience.auditor else []
        text = audit_report(model, format, audience, evidence=evidence, risks=_risks(store, run))
        media = "text/html; charset=utf-8" if format == "html" else "text/markdown; charset=utf-8"
    suffix = {"html": "html", "markdown": "md", "json": "json"}[format]
    return signed_response(
        request,
        text,
        media_type=media,
        name=f"{run_id}-{audience.value}.{suffix}",
        kind="report",
    )


def _export(request: Request, run: RunModel, format: str, audience: Audience) -> Response:
    """The run as OSCAL assessment results, the OSCAL assessment plan they import (its spec
    version), or SARIF; signed like every report."""
    from assay.services.run_exports import oscal_results, sarif_log

    store = store_of(request)
    if format in ("oscal", "oscal-plan"):
        try:
            document = stored_spec(store, run.spec.id, run.spec.hash, Path(".")).data
        except InvalidInputError:
            document = None
        results, plan = oscal_results(
            run, audience, evidence_digests(store, run), document, option="audience"
        )
        if format == "oscal":
            text, name = results.text, f"{run.run_id}-assessment-results.json"
        elif plan is None:
            raise ApiError(
                404, "unknown_spec", f"the spec version of run {run.run_id} is not stored"
            )
        else:
            text, name = plan.text, plan.name
    else:
        text = sarif_log(run, audience, f"{run.spec.id}.yaml", "", option="audience")
        name = f"{run.run_id}.sarif"
    return signed_response(
        request,
        text,
        media_type="application/sarif+json" if format == "sarif" else "application/json",
        name=name,
        kind="report",
    )


def _risks(store: Store, run: RunModel) -> dict[str, dict[str, str]]:
    """The risks of the spec version the run evaluated, when it is stored (runs stored by the
    command line store their spec too)."""
    try:
        loaded = stored_spec(store, run.spec.id, run.spec.hash, Path("."))
    except InvalidInputError:
        return {}
    return spec_risks(loaded)

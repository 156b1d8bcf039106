"""Verdicts of external assessors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from assay.server.api.answers import ERRORS, Attestation
from assay.server.api.common import (
    Name,
    StrictBody,
    Target,
    loaded_for,
    now,
)
from assay.server.auth import caller, store_of
from assay.server.guard import GuardedRoute, roles
from assay.services import audit_actions
from assay.store.tokens import Role

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute, responses=ERRORS)


class Verdict(StrictBody):
    spec: Name
    target: Target
    element: Name
    value: str = Field(description="pass or fail, or a measurement's value", min_length=1)
    evidence: list[str] = Field(default_factory=list, description="links to the evidence")
    expires: str = Field(default="P90D", description="a duration (P90D) or a date")


@router.post(
    "/verdicts",
    response_model=Attestation,
    openapi_extra=roles(Role.auditor),
    status_code=201,
    summary="Record an assessor's verdict (auditor)",
)
def post_verdict(body: Verdict, request: Request) -> dict[str, Any]:
    token = caller(request, Role.auditor, spec=body.spec, target=body.target)
    store = store_of(request)
    loaded = loaded_for(store, request, body.spec, body.target)
    return audit_actions.attest(
        store,
        loaded,
        body.element,
        by=token.name,
        value=body.value,
        evidence=body.evidence,
        expires=body.expires,
        target=body.target,
        now=now(),
    )

"""Targets registered against specifications, with their status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from assay.server.api.answers import ERRORS, Registration, TargetState
from assay.server.api.common import (
    READERS,
    Name,
    StrictBody,
    Target,
    loaded_for_version,
    now,
)
from assay.server.auth import caller, in_scope, store_of
from assay.server.errors import ApiError
from assay.server.guard import GuardedRoute, roles
from assay.services import audit_actions
from assay.services.registrations import (
    Mode,
    register_target,
    registrations,
)
from assay.store.tokens import Role

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute, responses=ERRORS)


class TargetRegistration(StrictBody):
    spec: Name
    target: Target
    mode: Mode = Mode.self_assessment
    model: Name | None = Field(
        default=None, description="a registered model whose new versions trigger this spec"
    )
    spec_hash: str | None = Field(default=None, description="a stored version (default newest)")
    promote: Name | None = Field(
        default=None, description="MLflow alias moved to a new version of model that passes"
    )
    rollback: Name | None = Field(
        default=None, description="MLflow alias moved back when a new version of model fails"
    )


@router.post(
    "/targets",
    response_model=Registration,
    openapi_extra=roles(Role.auditee),
    status_code=201,
    summary="Register a target against a spec (auditee)",
)
def register(body: TargetRegistration, request: Request) -> dict[str, Any]:
    token = caller(request, Role.auditee, spec=body.spec, target=body.target)
    store = store_of(request)
    loaded = loaded_for_version(request, body.spec, body.spec_hash)
    if (body.promote or body.rollback) and not body.model:
        raise ApiError(422, "invalid_request", "promote and rollback need the model they gate")
    registration = register_target(
        store,
        loaded,
        body.target,
        mode=body.mode,
        model=body.model,
        by=token.name,
        now=now(),
        promote=body.promote,
        rollback=body.rollback,
    )
    return registration.to_dict()


@router.get(
    "/targets",
    response_model=list[TargetState],
    openapi_extra=roles(*READERS),
    summary="Registered targets and their status (auditee, auditor)",
)
def list_targets(request: Request) -> list[dict[str, Any]]:
    token = caller(request, *READERS)
    store = store_of(request)
    statuses = {
        (row.spec, row.target): row.to_dict()
        for row in audit_actions.current_statuses(store, now(), record=False)
    }
    found = []
    for registration in registrations(store):
        if not in_scope(token, registration.spec, registration.target):
            continue
        status = statuses.get((registration.spec, registration.target))
        found.append(
            registration.to_dict()
            | {
                "status": status["status"] if status else "unknown",
                "last_run": status["last_run"] if status else None,
            }
        )
    return found

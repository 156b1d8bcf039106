"""Evidence pushed by auditees, evaluated at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import Field

from assay.server.api.answers import ERRORS, RunSummary
from assay.server.api.common import (
    Name,
    StrictBody,
    Target,
    audited_for,
    run_summary,
)
from assay.server.auth import caller, store_of
from assay.server.guard import GuardedRoute, roles
from assay.services import evidence
from assay.services.evidence import PushedEvidence
from assay.store.tokens import Role

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute, responses=ERRORS)


class PushedMeasurement(StrictBody):
    # An id the spec must hold (checked against it, with the value): no name check per value.
    measurement: Annotated[str, Field(min_length=1, max_length=200)]
    value: Any = Field(description="the measured value, of the measurement's data type")
    measured_at: datetime | None = Field(default=None, description="when it was measured")
    provenance: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="model_version, data_hash, commit, …"
    )


class EvidencePush(StrictBody):
    spec: Name
    target: Target
    values: list[PushedMeasurement] = Field(min_length=1, max_length=100_000)


# Who may push, and the status a push answers with: shared with the lane (evidence_lane.py).
PUSH_ROLES = (Role.auditee,)
PUSHED = 201


@router.post(
    "/evidence",
    response_model=RunSummary,
    openapi_extra=roles(*PUSH_ROLES),
    status_code=PUSHED,
    summary="Push measurement values (auditee)",
)
def push_evidence(body: EvidencePush, request: Request) -> dict[str, Any]:
    """Store the values with their provenance and evaluate the spec on them at once. Every
    value is checked first: one unknown measurement or unreadable value refuses the batch
    (422 ``invalid_evidence`` listing each problem), and nothing is stored."""
    return pushed_evidence(body, request)


def pushed_evidence(
    body: EvidencePush,
    request: Request,
    latest: Mapping[tuple[str, str], int] | None = None,
) -> dict[str, Any]:
    """The push of :func:`push_evidence`; ``latest``: the ledger index's entries of
    :func:`~assay.services.registrations.audited_version_keys`, when the caller read them
    with its token (:func:`~assay.server.auth.caller_and_latest`)."""
    token = caller(request, Role.auditee, spec=body.spec, target=body.target)
    store = store_of(request)
    loaded, prior = audited_for(store, request, body.spec, body.target, latest)
    values = [
        PushedEvidence(item.measurement, item.value, item.measured_at, item.provenance)
        for item in body.values
    ]
    record = evidence.push(
        store,
        loaded,
        body.target,
        values,
        by=token.name,
        confinement=request.app.state.settings.confinement,
        prior=prior,
    )
    return run_summary(record) | {"accepted": len(body.values)}

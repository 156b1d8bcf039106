"""Certificates: list, issue, suspend and revoke."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from assay.server.api.answers import ERRORS, CertificateEvent, CertificateRow
from assay.server.api.common import (
    Name,
    StrictBody,
    Target,
    loaded_for_version,
    now,
)
from assay.server.auth import caller, in_scope, store_of
from assay.server.errors import ApiError
from assay.server.guard import GuardedRoute, roles
from assay.server.signing import signed_response
from assay.services import audit_actions
from assay.services.listings import certificate_rows
from assay.store.audit_log import AuditLog
from assay.store.tokens import Role, Token

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute, responses=ERRORS)


class CertificateRequest(StrictBody):
    spec: Name
    target: Target
    valid_for: str = Field(default="P365D", description="a duration (P365D) or a date")


class Reason(StrictBody):
    reason: str = Field(min_length=1, max_length=2000)


@router.get(
    "/certificates",
    response_model=list[CertificateRow],
    openapi_extra=roles(Role.auditor, Role.certifier),
    summary="Certificates and their state (auditor, certifier)",
)
def list_certificates(request: Request) -> list[dict[str, Any]]:
    """Every certificate the caller may see, as ``assay audit certificates`` lists it."""
    token = caller(request, Role.auditor, Role.certifier)
    return [
        row.to_dict()
        for row in certificate_rows(store_of(request), now())
        if in_scope(token, row.spec, row.target)
    ]


@router.get(
    "/certificates/{certificate}",
    openapi_extra=roles(Role.auditor, Role.certifier),
    summary="One certificate as it stands now, signed by the server (auditor, certifier)",
    response_class=Response,
    responses={
        200: {
            "description": "the certificate (as GET /certificates lists it), signed in the "
            "Assay-Signature header (docs/signing.md)",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/CertificateRow"}}
            },
        },
        404: ERRORS[404],
    },
)
def get_certificate(certificate: str, request: Request) -> Response:
    """The certificate's state, validity and events as JSON; the ``Assay-Signature`` header
    holds a DSSE envelope (base64) whose in-toto subject is the SHA-256 of the body, signed by
    the key at ``/.well-known/assay/signing-key.pub``."""
    token = caller(request, Role.auditor, Role.certifier)
    _certificate_in_scope(request, certificate, token)
    (row,) = [
        row for row in certificate_rows(store_of(request), now()) if row.certificate == certificate
    ]
    body = json.dumps(row.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return signed_response(
        request,
        body,
        media_type="application/json",
        name=f"certificate-{certificate}.json",
        kind="certificate",
    )


@router.post(
    "/certificates",
    response_model=CertificateEvent,
    openapi_extra=roles(Role.certifier),
    status_code=201,
    summary="Issue a certificate (certifier)",
)
def issue_certificate(body: CertificateRequest, request: Request) -> dict[str, Any]:
    """Issued only when the target conforms to the spec version of its last run; 409
    otherwise."""
    token = caller(request, Role.certifier, spec=body.spec, target=body.target)
    store = store_of(request)
    runs = AuditLog(store.ledger).runs(body.spec, body.target)
    if not runs:
        raise ApiError(409, "not_conformant", f"{body.target} has no run of {body.spec}")
    loaded = loaded_for_version(request, body.spec, runs[-1].spec.hash)
    return audit_actions.certify(
        store, loaded, body.target, valid_for=body.valid_for, by=token.name, now=now()
    )


def _certificate_in_scope(request: Request, certificate: str, token: Token) -> None:
    state = AuditLog(store_of(request).ledger).certificates().get(certificate)
    if state is None:
        raise ApiError(404, "unknown_certificate", f"no certificate {certificate!r}")
    if not in_scope(token, state["spec"], state["target"]):
        raise ApiError(403, "out_of_scope", f"this token is limited to {token.scope!r}")


@router.post(
    "/certificates/{certificate}/suspend",
    response_model=CertificateEvent,
    openapi_extra=roles(Role.certifier),
    summary="Suspend a certificate (certifier)",
)
def suspend_certificate(certificate: str, body: Reason, request: Request) -> dict[str, Any]:
    token = caller(request, Role.certifier)
    _certificate_in_scope(request, certificate, token)
    return audit_actions.suspend(
        store_of(request), certificate, reason=body.reason, by=token.name, now=now()
    )


@router.post(
    "/certificates/{certificate}/revoke",
    response_model=CertificateEvent,
    openapi_extra=roles(Role.certifier),
    summary="Revoke a certificate (certifier)",
)
def revoke_certificate(certificate: str, body: Reason, request: Request) -> dict[str, Any]:
    token = caller(request, Role.certifier)
    _certificate_in_scope(request, certificate, token)
    return audit_actions.revoke(store_of(request), certificate, reason=body.reason, now=now())

"""Specifications: upload, list, versions and documents."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from assay.files.spec import spec_from_text
from assay.reports.audit_json import redacted_spec
from assay.server.api.answers import ERRORS, SpecDocument, SpecUpload, SpecVersion
from assay.server.api.common import READERS, loaded_for_version
from assay.server.auth import caller, in_scope, store_of
from assay.server.errors import ApiError
from assay.server.guard import GuardedRoute, roles
from assay.services.registrations import (
    spec_versions,
    store_spec,
)
from assay.store.tokens import Role

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute, responses=ERRORS)


@router.post(
    "/specs",
    response_model=SpecUpload,
    openapi_extra=roles(Role.auditee),
    status_code=201,
    summary="Upload a specification (auditee)",
)
def upload_spec(
    request: Request,
    document: Annotated[dict[str, Any], Body(description="the specification (docs/audit.md)")],
) -> dict[str, Any]:
    """Validates the specification as ``assay audit validate`` does and stores it once per
    content hash. 422 lists every problem with its key path; nothing is stored then."""
    spec_id = document.get("id") if isinstance(document.get("id"), str) else None
    token = caller(request, Role.auditee, spec=spec_id)
    settings = request.app.state.settings
    loaded = spec_from_text(
        json.dumps(document), "request body", settings.spec_base, settings.confinement
    )
    if not in_scope(token, loaded.spec.id):
        raise ApiError(403, "out_of_scope", f"this token is limited to {token.scope!r}")
    created = store_spec(store_of(request), loaded)
    return {
        "id": loaded.spec.id,
        "hash": loaded.hash,
        "version": loaded.spec.version,
        "created": created,
    }


@router.get(
    "/specs",
    response_model=list[SpecVersion],
    openapi_extra=roles(*READERS),
    summary="Stored specifications and their versions (auditee, auditor)",
)
def list_specs(request: Request) -> list[dict[str, Any]]:
    token = caller(request, *READERS)
    return [v for v in spec_versions(store_of(request)) if in_scope(token, v["id"])]


@router.get(
    "/specs/{spec_id}",
    response_model=list[SpecVersion],
    openapi_extra=roles(*READERS),
    summary="One specification's versions (auditee, auditor)",
)
def get_spec_versions(spec_id: str, request: Request) -> list[dict[str, Any]]:
    caller(request, *READERS, spec=spec_id)
    versions = spec_versions(store_of(request), spec_id)
    if not versions:
        raise ApiError(404, "unknown_spec", f"no specification {spec_id!r} is stored")
    return versions


@router.get(
    "/specs/{spec_id}/{spec_hash}",
    response_model=SpecDocument,
    openapi_extra=roles(*READERS),
    summary="One version's document (auditee, auditor)",
)
def get_spec_document(spec_id: str, spec_hash: str, request: Request) -> dict[str, Any]:
    token = caller(request, *READERS, spec=spec_id)
    loaded = loaded_for_version(request, spec_id, spec_hash)
    document = loaded.data
    if token.role is Role.auditor and not token.internal:
        document = redacted_spec(document)
    return {"id": spec_id, "hash": loaded.hash, "document": document}

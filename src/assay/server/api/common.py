"""What the resources of the Audit API share: body types, the spec a request is about, and
the summary a run answers with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from assay.errors import InvalidInputError
from assay.files.spec import LoadedSpec
from assay.names import TARGET_CHARACTERS, check_name, check_target
from assay.server.auth import store_of
from assay.server.errors import ApiError
from assay.services.audit_runs import RunRecord
from assay.services.registrations import (
    UnknownSpecError,
    audited_version,
    find_registration,
    stored_spec,
)
from assay.store import Store
from assay.store.audit_log import BeforeRun
from assay.store.tokens import Role

__all__ = [
    "READERS",
    "Name",
    "StrictBody",
    "Target",
    "audited_for",
    "loaded_for",
    "loaded_for_version",
    "now",
    "run_summary",
    "settings_base",
]

READERS = (Role.auditee, Role.auditor)


def _checked_name(text: str) -> str:
    try:
        return check_name(text, source="name")
    except InvalidInputError as error:
        raise ValueError(error.problem) from None


def _checked_target(text: str) -> str:
    try:
        return check_target(text, source="target")
    except InvalidInputError as error:
        raise ValueError(f"{error.problem}; expected {error.expected}") from None


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_checked_name)]
Target = Annotated[
    str,
    Field(min_length=1, max_length=200, description=f"a target: {TARGET_CHARACTERS}"),
    AfterValidator(_checked_target),
]


class StrictBody(BaseModel):
    """A request body: keys it does not know are refused."""

    model_config = ConfigDict(extra="forbid")


def settings_base(request: Request) -> Any:
    """Where this server"s uploaded specs read their files."""
    return request.app.state.settings.spec_base


def now() -> datetime:
    """The time an action is recorded at."""
    return datetime.now(UTC)


def loaded_for(store: Store, request: Request, spec: str, target: str | None) -> LoadedSpec:
    """The spec version a (spec, target) is audited against: its registration"s, else the
    newest stored; 404 when there is none."""
    registration = find_registration(store, spec, target) if target else None
    return loaded_for_version(request, spec, registration.spec_hash if registration else None)


def audited_for(
    store: Store,
    request: Request,
    spec: str,
    target: str,
    latest: Mapping[tuple[str, str], int] | None = None,
) -> tuple[LoadedSpec, BeforeRun]:
    """The spec version a run of (spec, target) is evaluated against, as :func:`loaded_for`
    finds it, with what the run reads of the ledger first, read together (``latest``: the
    ledger index's part of it, read by the caller: :func:`audited_version`); 404 when there
    is none."""
    try:
        return audited_version(store, spec, target, settings_base(request), latest)
    except UnknownSpecError as error:
        raise ApiError(404, "unknown_spec", error.message) from None


def loaded_for_version(request: Request, spec_id: str, spec_hash: str | None) -> LoadedSpec:
    """The stored version ``spec_hash`` (a prefix will do; None: the newest); 404 when none."""
    try:
        return stored_spec(store_of(request), spec_id, spec_hash, settings_base(request))
    except UnknownSpecError as error:
        raise ApiError(404, "unknown_spec", error.message) from None


def run_summary(record: RunRecord) -> dict[str, Any]:
    """What a run started through the API answers: ids, verdict, status and ledger range."""
    return {
        "run_id": record.model.run_id,
        "spec": record.model.spec.id,
        "spec_hash": record.model.spec.hash,
        "target": record.model.target,
        "verdict": record.verdict.value,
        "status": record.status.value,
        "previous_status": record.previous_status,
        "suspended_certificates": record.suspended,
        "ledger": {"first": record.first_seq, "last": record.last_seq},
    }

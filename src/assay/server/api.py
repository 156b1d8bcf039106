"""The Audit API under ``/api/v1``: specs, targets, runs, evidence, reports, verdicts, ledger,
certificates and tokens, each guarded by the roles of 001 §5.4.1.2 (plus admin)."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from assay.audit.confidentiality import hidden_elements
from assay.audit.datatypes import DATA_TYPES, ValueMismatchError
from assay.audit.spec import Measurement, walk
from assay.errors import InvalidInputError
from assay.files.spec import LoadedSpec, spec_from_text
from assay.names import TARGET_CHARACTERS, check_name, check_target
from assay.reports.audit_json import Audience, for_audience, jsonable, redacted_spec
from assay.server.auth import caller, in_scope, store_of
from assay.server.errors import ApiError
from assay.server.guard import GuardedRoute, roles
from assay.services import audit_actions
from assay.services.audit_runs import PushedValue, RunRecord, run_audit
from assay.services.ledger_access import LedgerReader, ledger_view
from assay.services.registrations import (
    Mode,
    UnknownSpecError,
    find_registration,
    register_target,
    registrations,
    spec_versions,
    store_spec,
    stored_spec,
)
from assay.store import Store
from assay.store.audit_log import AuditLog, batch_record
from assay.store.ledger_file import export_ledger
from assay.store.tokens import Role, Token, create_token, list_tokens, revoke_token

__all__ = ["loaded_for", "loaded_for_version", "router", "run_summary"]

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute)

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


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _settings_base(request: Request) -> Any:
    return request.app.state.settings.spec_base


def _now() -> datetime:
    return datetime.now(UTC)


def loaded_for(store: Store, request: Request, spec: str, target: str | None) -> LoadedSpec:
    """The spec version a (spec, target) is audited against: its registration's, else the
    newest stored; 404 when there is none."""
    registration = find_registration(store, spec, target) if target else None
    return loaded_for_version(request, spec, registration.spec_hash if registration else None)


def loaded_for_version(request: Request, spec_id: str, spec_hash: str | None) -> LoadedSpec:
    """The stored version ``spec_hash`` (a prefix will do; None: the newest); 404 when none."""
    try:
        return stored_spec(store_of(request), spec_id, spec_hash, _settings_base(request))
    except UnknownSpecError as error:
        raise ApiError(404, "unknown_spec", error.message) from None


def run_summary(record: RunRecord) -> dict[str, Any]:
    """What a run started through the API answers: ids, verdict, status and ledger range."""
    return {
        "run_id": record.model["run_id"],
        "spec": record.model["spec"]["id"],
        "spec_hash": record.model["spec"]["hash"],
        "target": record.model["target"],
        "verdict": record.verdict.value,
        "status": record.status.value,
        "previous_status": record.previous_status,
        "suspended_certificates": record.suspended,
        "ledger": {"first": record.first_seq, "last": record.last_seq},
    }


# --- specs -------------------------------------------------------------------------------


@router.post(
    "/specs",
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
    openapi_extra=roles(*READERS),
    summary="Stored specifications and their versions (auditee, auditor)",
)
def list_specs(request: Request) -> list[dict[str, Any]]:
    token = caller(request, *READERS)
    return [v for v in spec_versions(store_of(request)) if in_scope(token, v["id"])]


@router.get(
    "/specs/{spec_id}",
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


# --- targets -----------------------------------------------------------------------------


class TargetRegistration(_Body):
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
        now=_now(),
        promote=body.promote,
        rollback=body.rollback,
    )
    return registration.to_dict()


@router.get(
    "/targets",
    openapi_extra=roles(*READERS),
    summary="Registered targets and their status (auditee, auditor)",
)
def list_targets(request: Request) -> list[dict[str, Any]]:
    token = caller(request, *READERS)
    store = store_of(request)
    statuses = {
        (row.spec, row.target): row.to_dict()
        for row in audit_actions.current_statuses(store, _now(), record=False)
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


# --- runs ----------------------------------------------------------------------------------


class RunRequest(_Body):
    spec: Name
    target: Target


@router.post(
    "/runs",
    openapi_extra=roles(Role.auditee),
    status_code=201,
    summary="Run a spec on a target now (auditee)",
)
def trigger_run(body: RunRequest, request: Request) -> dict[str, Any]:
    token = caller(request, Role.auditee, spec=body.spec, target=body.target)
    store = store_of(request)
    loaded = loaded_for(store, request, body.spec, body.target)
    trigger = {"kind": "api", "by": token.name}
    confinement = request.app.state.settings.confinement
    return run_summary(
        run_audit(store, loaded, body.target, trigger=trigger, confinement=confinement)
    )


@router.get(
    "/runs", openapi_extra=roles(*READERS), summary="Audit runs, oldest first (auditee, auditor)"
)
def list_runs(
    request: Request, spec: str | None = None, target: str | None = None
) -> list[dict[str, Any]]:
    token = caller(request, *READERS)
    return [
        {key: run[key] for key in ("run_id", "target", "verdict", "started", "finished", "seq")}
        | {"spec": run["spec"]["id"]}
        for run in AuditLog(store_of(request).ledger).runs(spec, target)
        if in_scope(token, run["spec"]["id"], run["target"])
    ]


def _visible_run(request: Request, run_id: str) -> tuple[Token, dict[str, Any]]:
    token = caller(request, *READERS)
    run = AuditLog(store_of(request).ledger).run(run_id)
    if run is None or not in_scope(token, run["spec"]["id"], run["target"]):
        raise ApiError(404, "unknown_run", f"no run {run_id!r} (or the prefix is ambiguous)")
    return token, run


@router.get(
    "/runs/{run_id}",
    openapi_extra=roles(*READERS),
    summary="One run's outcome tree (auditee, auditor)",
)
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    token, run = _visible_run(request, run_id)
    if token.role is Role.auditor and not token.internal:
        return for_audience(run, Audience.auditor)
    return dict(run)


@router.get(
    "/runs/{run_id}/report",
    openapi_extra=roles(*READERS),
    summary="A run's report for an audience (auditee, auditor)",
    response_class=Response,
)
def get_report(
    run_id: str,
    request: Request,
    format: Literal["html", "markdown", "json"] = "html",
    audience: Audience = Audience.auditor,
) -> Response:
    """The report as ``assay audit run -f FORMAT --audience AUDIENCE`` renders it; auditors
    without internal access get the auditor or public view only. Reading stores nothing."""
    token, run = _visible_run(request, run_id)
    if (
        token.role is Role.auditor
        and not token.internal
        and audience not in (Audience.auditor, Audience.public)
    ):
        raise ApiError(
            403, "forbidden", "auditors without internal access read the auditor or public view"
        )
    model = for_audience(run, audience)
    if format == "json":
        text = json.dumps(model, indent=2, ensure_ascii=False) + "\n"
        media = "application/json"
    else:
        from assay.reports.audit_report import audit_report  # Jinja2: only for reports

        text = audit_report(model, format, audience)
        media = "text/html; charset=utf-8" if format == "html" else "text/markdown; charset=utf-8"
    return Response(text, media_type=media)


# --- evidence ------------------------------------------------------------------------------


class PushedMeasurement(_Body):
    # An id the spec must hold (checked against it, with the value): no name check per value.
    measurement: Annotated[str, Field(min_length=1, max_length=200)]
    value: Any = Field(description="the measured value, of the measurement's data type")
    measured_at: datetime | None = Field(default=None, description="when it was measured")
    provenance: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="model_version, data_hash, commit, …"
    )


class EvidencePush(_Body):
    spec: Name
    target: Target
    values: list[PushedMeasurement] = Field(min_length=1, max_length=100_000)


@router.post(
    "/evidence",
    openapi_extra=roles(Role.auditee),
    status_code=201,
    summary="Push measurement values (auditee)",
)
def push_evidence(body: EvidencePush, request: Request) -> dict[str, Any]:
    """Store the values with their provenance and evaluate the spec on them at once. Every
    value is checked first: one unknown measurement or unreadable value refuses the batch."""
    token = caller(request, Role.auditee, spec=body.spec, target=body.target)
    store = store_of(request)
    loaded = loaded_for(store, request, body.spec, body.target)
    problems = _evidence_problems(loaded, body)
    if problems:
        shown = problems[:PROBLEMS_SHOWN]
        more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise ApiError(
            422, "invalid_evidence", "; ".join(shown) + more, {"problems": problems[:1000]}
        )
    latest: dict[str, PushedValue] = {}
    earlier: list[tuple[str, PushedValue]] = []
    for item in body.values:
        value = _pushed(item)
        if item.measurement in latest:
            earlier.append((item.measurement, latest[item.measurement]))
        latest[item.measurement] = value

    def keep_earlier(conn: Connection, record: RunRecord) -> None:
        """Values superseded within the batch are evidence too: stored, not evaluated."""
        values = _superseded(earlier)
        store.ledger.append_in(
            conn,
            [
                batch_record(
                    {"run_id": record.model["run_id"], "spec": body.spec, "target": body.target},
                    values,
                    hidden_elements(loaded.data),
                )
            ],
        )

    trigger = {"kind": "push", "by": token.name, "values": len(body.values)}
    record = run_audit(
        store,
        loaded,
        body.target,
        pushed=latest,
        trigger=trigger,
        in_transaction=keep_earlier if earlier else None,
        confinement=request.app.state.settings.confinement,
    )
    return run_summary(record) | {"accepted": len(body.values)}


PROBLEMS_SHOWN = 20  # in the message; the first thousand are listed in ``problems``


def _evidence_problems(loaded: LoadedSpec, body: EvidencePush) -> list[str]:
    """Each pushed value that names no measurement of the spec or cannot be read as its
    measurement's data type, with its place in the request."""
    measurements = {
        element.id: element for _, element in walk(loaded.spec) if isinstance(element, Measurement)
    }
    readers = {}
    for key, measurement in measurements.items():
        data_type = DATA_TYPES.get(measurement.data_type)
        assert data_type is not None  # checked when the spec was loaded
        readers[key] = (data_type, measurement.scale or [])
    problems = []
    for index, item in enumerate(body.values):
        reader = readers.get(item.measurement)
        if reader is None:
            problems.append(
                f"values[{index}].measurement: {item.measurement!r} is not a measurement of "
                f"{body.spec} (known: {', '.join(measurements)})"
            )
            continue
        reads, scale = reader
        try:
            reads.read(item.value, scale)
        except ValueMismatchError as error:
            problems.append(f"values[{index}].value: {error}")
    return problems


def _pushed(item: PushedMeasurement) -> PushedValue:
    measured = item.measured_at
    if measured is not None and measured.tzinfo is None:
        measured = measured.replace(tzinfo=UTC)
    return PushedValue(
        jsonable(item.value),
        dict(item.provenance),
        measured.isoformat(timespec="milliseconds") if measured else None,
    )


def _superseded(earlier: list[tuple[str, PushedValue]]) -> list[dict[str, Any]]:
    """The values of the batch that a later value of the same measurement superseded, kept in
    one ledger item: chained like any entry, at a fraction of the cost of one each."""
    return [
        {
            "element": element,
            "value": pushed.value,
            "measured_at": pushed.measured_at,
            **({"metadata": pushed.provenance} if pushed.provenance else {}),
        }
        for element, pushed in earlier
    ]


# --- verdicts of external assessors --------------------------------------------------------


class Verdict(_Body):
    spec: Name
    target: Target
    element: Name
    value: str = Field(description="pass or fail, or a measurement's value", min_length=1)
    evidence: list[str] = Field(default_factory=list, description="links to the evidence")
    expires: str = Field(default="P90D", description="a duration (P90D) or a date")


@router.post(
    "/verdicts",
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
        now=_now(),
    )


# --- ledger --------------------------------------------------------------------------------


@router.get(
    "/ledger",
    openapi_extra=roles(Role.auditor, Role.admin),
    summary="A range of the evidence ledger as the caller may read it (auditor, admin)",
)
def export_range(
    request: Request,
    since: Annotated[int, Query(ge=1, le=2**63 - 1)] = 1,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    kind: str | None = None,
) -> dict[str, Any]:
    """Entries from ``since`` on (at most ``limit``), with the head they lead to, each as the
    caller may read it: confidential values sealed unless the token has internal access,
    entries outside the token's scope as stubs. Every entry still verifies."""
    token = caller(request, Role.auditor, Role.admin)
    store = store_of(request)
    view = ledger_view(store, LedgerReader.of(token))
    with store.ledger.snapshot(since=since, kind=kind, limit=limit) as (head, stream):
        entries = [view(entry).to_dict() for entry in stream]
    following = entries[-1]["seq"] + 1 if entries and len(entries) == limit else None
    return {
        "head": {"seq": head.seq, "hash": head.hash},
        "entries": entries,
        "next": following,
    }


@router.get(
    "/ledger/export",
    openapi_extra=roles(Role.auditor, Role.admin),
    summary="The evidence ledger as JSON lines for offline verification (auditor, admin)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export_file(
    request: Request,
    since: Annotated[int, Query(ge=1, le=2**63 - 1)] = 1,
) -> StreamingResponse:
    """The export ``assay ledger export`` writes, from ``since`` on, cut down for the caller as
    ``GET /ledger`` is; ``assay ledger verify --file`` checks it without the server."""
    token = caller(request, Role.auditor, Role.admin)
    store = store_of(request)
    reader = LedgerReader.of(token)
    # Written whole from one snapshot first (to disk beyond a few MiB), then streamed: the
    # database connection stays in this thread, and the answer is one consistent export.
    spooled = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, mode="w+b")  # noqa: SIM115
    text = io.TextIOWrapper(spooled, encoding="utf-8", newline="\n", write_through=True)
    export_ledger(
        store.ledger,
        text,
        since=since,
        view=ledger_view(store, reader),
        redacted=reader.redacted,
        scope=reader.scope,
    )
    text.detach()
    spooled.seek(0)

    def chunks() -> Iterator[bytes]:
        with spooled:
            while chunk := spooled.read(_CHUNK_BYTES):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="assay-ledger.jsonl"'},
    )


_SPOOL_BYTES = 8 * 1024 * 1024
_CHUNK_BYTES = 256 * 1024


@router.get(
    "/ledger/verify",
    openapi_extra=roles(Role.auditor, Role.admin),
    summary="Verify the evidence ledger (auditor, admin)",
)
def verify_ledger(request: Request) -> dict[str, Any]:
    caller(request, Role.auditor, Role.admin)
    result = store_of(request).ledger.verify()
    problem = result.problem
    return {
        "ok": result.ok,
        "entries": result.entries,
        "head": {"seq": result.head.seq, "hash": result.head.hash},
        "problem": None if problem is None else {"seq": problem.seq, "reason": problem.reason},
    }


# --- certificates --------------------------------------------------------------------------


class CertificateRequest(_Body):
    spec: Name
    target: Target
    valid_for: str = Field(default="P365D", description="a duration (P365D) or a date")


class Reason(_Body):
    reason: str = Field(min_length=1, max_length=2000)


@router.get(
    "/certificates",
    openapi_extra=roles(Role.auditor, Role.certifier),
    summary="Certificates and their state (auditor, certifier)",
)
def list_certificates(request: Request) -> list[dict[str, Any]]:
    token = caller(request, Role.auditor, Role.certifier)
    now = _now()
    return [
        {
            "certificate": certificate,
            "spec": state["spec"],
            "target": state["target"],
            "state": audit_actions.certificate_state(state, now),
            "valid_until": state.get("valid_until"),
            "run_id": state.get("run_id"),
            "events": [
                {k: event.get(k) for k in ("event", "at", "reason", "seq")}
                for event in state["events"]
            ],
        }
        for certificate, state in AuditLog(store_of(request).ledger).certificates().items()
        if in_scope(token, state["spec"], state["target"])
    ]


@router.post(
    "/certificates",
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
    loaded = loaded_for_version(request, body.spec, runs[-1]["spec"]["hash"])
    return audit_actions.certify(
        store, loaded, body.target, valid_for=body.valid_for, by=token.name, now=_now()
    )


def _certificate_in_scope(request: Request, certificate: str, token: Token) -> None:
    state = AuditLog(store_of(request).ledger).certificates().get(certificate)
    if state is None:
        raise ApiError(404, "unknown_certificate", f"no certificate {certificate!r}")
    if not in_scope(token, state["spec"], state["target"]):
        raise ApiError(403, "out_of_scope", f"this token is limited to {token.scope!r}")


@router.post(
    "/certificates/{certificate}/suspend",
    openapi_extra=roles(Role.certifier),
    summary="Suspend a certificate (certifier)",
)
def suspend_certificate(certificate: str, body: Reason, request: Request) -> dict[str, Any]:
    token = caller(request, Role.certifier)
    _certificate_in_scope(request, certificate, token)
    return audit_actions.suspend(
        store_of(request), certificate, reason=body.reason, by=token.name, now=_now()
    )


@router.post(
    "/certificates/{certificate}/revoke",
    openapi_extra=roles(Role.certifier),
    summary="Revoke a certificate (certifier)",
)
def revoke_certificate(certificate: str, body: Reason, request: Request) -> dict[str, Any]:
    token = caller(request, Role.certifier)
    _certificate_in_scope(request, certificate, token)
    return audit_actions.revoke(store_of(request), certificate, reason=body.reason, now=_now())


# --- tokens --------------------------------------------------------------------------------


class TokenRequest(_Body):
    name: Name
    role: Role
    scope: Name | None = None
    internal: bool = False


def _token_json(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "scope": token.scope,
        "internal": token.internal,
        "created": token.created,
        "revoked": token.revoked,
    }


@router.get("/tokens", openapi_extra=roles(Role.admin), summary="Tokens, without secrets (admin)")
def get_tokens(request: Request) -> list[dict[str, Any]]:
    caller(request, Role.admin)
    return [_token_json(token) for token in list_tokens(store_of(request))]


@router.post(
    "/tokens",
    openapi_extra=roles(Role.admin),
    status_code=201,
    summary="Create a token; its secret is shown once (admin)",
)
def post_token(body: TokenRequest, request: Request) -> dict[str, Any]:
    caller(request, Role.admin)
    token, text = create_token(
        store_of(request), name=body.name, role=body.role, scope=body.scope, internal=body.internal
    )
    return _token_json(token) | {"token": text}


@router.delete(
    "/tokens/{token_id}", openapi_extra=roles(Role.admin), summary="Revoke a token (admin)"
)
def delete_token(token_id: str, request: Request) -> dict[str, Any]:
    caller(request, Role.admin)
    store = store_of(request)
    if not any(token.id == token_id for token in list_tokens(store)):
        raise ApiError(404, "unknown_token", f"no token {token_id!r}")
    return _token_json(revoke_token(store, token_id))

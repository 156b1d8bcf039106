"""What the Audit API answers, as models: the OpenAPI document describes every response with
them (and the one error body every refusal has), and FastAPI checks each answer against them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ERRORS",
    "Attestation",
    "CertificateEvent",
    "CertificateRow",
    "ErrorBody",
    "ErrorDetail",
    "EventAnswer",
    "Health",
    "IngestAnswer",
    "LedgerHead",
    "LedgerPage",
    "LedgerVerification",
    "PublicStatus",
    "Registration",
    "RunListItem",
    "RunSummary",
    "SpecDocument",
    "SpecUpload",
    "SpecVersion",
    "TargetState",
    "TokenCreated",
    "TokenInfo",
    "WebhookAnswer",
]


class _Answer(BaseModel):
    # Answers may carry more than a model names (a newer server, an integration's details).
    model_config = ConfigDict(extra="allow")


class ErrorDetail(_Answer):
    """What went wrong: a stable code, one message, and the problems one by one when there
    are several."""

    code: str = Field(description="a stable code: unauthorized, forbidden, invalid_request, …")
    message: str = Field(description="one line (at most 4,000 characters)")
    problems: list[str] | None = Field(default=None, description="each problem with its place")


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


_ERROR_MEANINGS = {
    401: "no valid token (checked before the body is read)",
    403: "another role, or outside the token's scope",
    404: "no such spec, run, certificate, token or route",
    409: "the request conflicts with the state (a target that does not conform)",
    413: "the body is larger than the server accepts",
    422: "the body or a parameter is not what the operation takes",
    500: "a bug in assay (the server log has the details)",
    503: "the database is unavailable",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": meaning}
    for status, meaning in _ERROR_MEANINGS.items()
}


class SpecUpload(_Answer):
    """A specification stored (or found stored already) by its content hash."""

    id: str
    hash: str
    version: str
    created: bool = Field(description="false when this content was stored before")


class SpecVersion(_Answer):
    """One stored version of a specification."""

    id: str
    hash: str
    version: str
    name: str | None
    seq: int = Field(description="the ledger entry holding it")
    stored: str


class SpecDocument(_Answer):
    """One stored version's document (redacted for auditors without internal access)."""

    id: str
    hash: str
    document: dict[str, Any]


class Registration(_Answer):
    """A target registered against a specification."""

    spec: str
    spec_hash: str
    target: str
    mode: str
    model: str | None
    registered_by: str | None
    at: str
    promote: str | None
    rollback: str | None


class TargetState(Registration):
    """A registration with the target's conformity status now."""

    status: str
    last_run: str | None


class LedgerRangeOfRun(_Answer):
    """The ledger entries a run was stored in."""

    first: int
    last: int


class RunSummary(_Answer):
    """What a run started through the API answers."""

    run_id: str
    spec: str
    spec_hash: str
    target: str
    verdict: str
    status: str
    previous_status: str | None
    suspended_certificates: list[str]
    ledger: LedgerRangeOfRun
    accepted: int | None = Field(default=None, description="values accepted (evidence pushes)")


class RunListItem(_Answer):
    """A run in a listing."""

    run_id: str
    spec: str
    target: str
    verdict: str
    started: str
    finished: str
    seq: int | None


class Attestation(_Answer):
    """An assessor's verdict or value, recorded for an element."""

    spec: str
    element: str
    target: str | None
    by: str
    value: Any
    evidence: list[str]
    expires: str
    attested_at: str


class LedgerHead(_Answer):
    """The newest entry of the ledger."""

    seq: int
    hash: str


class LedgerPage(_Answer):
    """A range of ledger entries as the caller may read them (docs/ledger.md)."""

    head: LedgerHead
    entries: list[dict[str, Any]] = Field(
        description="entries as in docs/schemas/ledger-entry.schema.json"
    )
    next: int | None = Field(description="the `since` of the next page, or null at the end")


class LedgerProblem(_Answer):
    """The first entry at which the chain is broken."""

    seq: int
    reason: str


class LedgerVerification(_Answer):
    """Whether the ledger's chain holds."""

    ok: bool
    entries: int
    head: LedgerHead
    problem: LedgerProblem | None


class LedgerCheckpoint(_Answer):
    """The ledger's Merkle tree now: its size and root, and the C2SP checkpoint note stating
    them, signed by the server's key."""

    origin: str
    tree_size: int
    root: str = Field(description="hex SHA-256 root (RFC 9162 MTH)")
    key_id: str = Field(description="the id of the server key that signed the note")
    note: str = Field(description="the C2SP signed note (c2sp.org/tlog-checkpoint)")


class InclusionProof(_Answer):
    """RFC 9162 inclusion proof of one entry in the tree of ``tree_size`` entries."""

    leaf_index: int
    tree_size: int
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyProof(_Answer):
    """RFC 9162 consistency proof between two tree sizes."""

    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]


class SigningKey(_Answer):
    """A key the server signs (or signed) with, as its ledger records it."""

    keyid: str
    algorithm: str
    public_key: str = Field(description="PEM SubjectPublicKeyInfo")
    since: str
    seq: int
    reason: str | None
    current: bool


class CertificateRow(_Answer):
    """A certificate as it stands now, with its events."""

    certificate: str
    spec: str
    target: str
    state: str = Field(description="active, suspended, revoked or expired")
    issued: str
    issued_by: str | None
    valid_until: str
    run_id: str
    events: list[dict[str, Any]]


class CertificateEvent(_Answer):
    """A certificate issued, suspended or revoked."""

    event: str
    certificate: str
    spec: str
    target: str
    at: str


class TokenInfo(_Answer):
    """A token, without its secret."""

    id: str
    name: str
    role: str
    scope: str | None
    internal: bool
    created: str
    revoked: str | None


class TokenCreated(TokenInfo):
    """A token just created: its secret is in this answer only."""

    token: str


class IngestAnswer(_Answer):
    """What a delivery of events did: received, newly stored, redelivered, and the types (the
    unmapped ones by their original type)."""

    received: int
    stored: int
    duplicates: int
    types: dict[str, int]
    unmapped: dict[str, int]


class EventAnswer(_Answer):
    """What an event started (and, for a CDEvent, what was stored for the metrics)."""

    event: str
    target: str | None
    runs: list[dict[str, Any]]
    duplicate: bool
    metrics: IngestAnswer | None = None


class WebhookAnswer(IngestAnswer):
    """What a GitHub or GitLab delivery did; ``ignored`` says why nothing was stored."""

    ignored: str | None = None


class Health(_Answer):
    """The server is alive; its version and store."""

    status: str
    version: str
    schema_revision: str | None = Field(alias="schema")
    ledger_entries: int


class CertificateValidity(_Answer):
    """A certificate's state now and the period it covers."""

    certificate: str
    state: str
    issued: str
    valid_until: str


class DimensionOutcome(_Answer):
    """A quality dimension's outcome in a run."""

    id: str
    name: str
    outcome: str


class StatusChange(_Answer):
    """A change of a (spec, target)'s conformity status, as the ledger records it."""

    at: str | None
    spec: str
    previous: str | None
    status: str
    reason: str | None


class SpecStatus(_Answer):
    """A target's conformity to one specification."""

    spec: str
    status: str
    reason: str
    mode: str
    last_run: str | None
    evaluated: str | None = Field(description="when its last run finished")
    verdict: str | None
    certificates: dict[str, str] = Field(description="each certificate's state now")
    certificate_validity: list[CertificateValidity]
    dimensions: list[DimensionOutcome] = Field(description="outcomes of its last run")


class PublicStatus(_Answer):
    """A target's public conformity status."""

    target: str
    status: str
    last_evaluated: str | None = Field(description="when its newest run finished")
    specs: list[SpecStatus]
    history: list[StatusChange] = Field(description="status changes, newest first (the last 50)")

"""The evidence ledger as each caller may read it: ranges, exports and verification."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from assay.server.api.answers import (
    ERRORS,
    ConsistencyProof,
    InclusionProof,
    LedgerCheckpoint,
    LedgerPage,
    LedgerVerification,
)
from assay.server.auth import caller, store_of
from assay.server.guard import GuardedRoute, roles
from assay.server.signing import server_key
from assay.services import transparency
from assay.services.ledger_access import LedgerReader, ledger_view
from assay.store.ledger_file import export_ledger
from assay.store.tokens import Role

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute, responses=ERRORS)


@router.get(
    "/ledger",
    response_model=LedgerPage,
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
    responses={
        200: {
            "description": "a header line, then one entry per line (docs/ledger.md)",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
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
    response_model=LedgerVerification,
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


# Roots and proofs hold hashes only: every role may check that its entries are in the one tree.
_PROVERS = tuple(Role)
_SEQ = Annotated[int, Path(ge=1, le=2**63 - 1)]
_SIZE = Annotated[int, Query(ge=1, le=2**63 - 1)]


@router.get(
    "/ledger/checkpoint",
    response_model=LedgerCheckpoint,
    openapi_extra=roles(*_PROVERS),
    summary="The ledger's tree size and Merkle root as a signed checkpoint (every role)",
)
def get_checkpoint(request: Request) -> dict[str, Any]:
    """A C2SP checkpoint note (origin, size, base64 root) signed with the server's key, which
    ``/.well-known/assay/signing-key.pub`` serves; ``assay ledger witness`` keeps checking
    that each one extends the last."""
    caller(request, *_PROVERS)
    key = server_key(request)
    origin = request.app.state.settings.ledger_origin
    point = transparency.checkpoint(store_of(request), origin=origin, key=key.private)
    return {"origin": origin, **point.to_dict(), "key_id": key.keyid}


@router.get(
    "/ledger/proof/{seq}",
    response_model=InclusionProof,
    openapi_extra=roles(*_PROVERS),
    summary="An RFC 9162 inclusion proof of one entry (every role)",
)
def get_inclusion_proof(
    request: Request, seq: _SEQ, tree_size: _SIZE | None = None
) -> dict[str, Any]:
    """The audit path of entry ``seq`` (leaf ``seq - 1``) in the tree of ``tree_size``
    entries (default: the whole ledger), and that tree's root."""
    caller(request, *_PROVERS)
    return transparency.prove(store_of(request), seq, tree_size)


@router.get(
    "/ledger/consistency",
    response_model=ConsistencyProof,
    openapi_extra=roles(*_PROVERS),
    summary="An RFC 9162 consistency proof between two tree sizes (every role)",
)
def get_consistency_proof(
    request: Request,
    old: Annotated[int, Query(alias="from", ge=1, le=2**63 - 1)],
    new: Annotated[int, Query(alias="to", ge=1, le=2**63 - 1)],
) -> dict[str, Any]:
    """The proof that the tree of ``from`` entries is a prefix of the tree of ``to``."""
    caller(request, *_PROVERS)
    return transparency.consistency(store_of(request), old, new)

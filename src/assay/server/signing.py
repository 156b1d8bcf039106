"""The server's signatures: its key at start-up, and responses signed with it (a DSSE envelope
of an in-toto statement over the body, in the ``Assay-Signature`` header, base64)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from fastapi import Request, Response

from assay.server.settings import ServerSettings
from assay.services.server_key import ServerKey, load_server_key, record_key
from assay.services.signing import envelope_of
from assay.store import Store

__all__ = ["SIGNATURE_HEADER", "server_key", "signed_response", "start_signing"]

SIGNATURE_HEADER = "Assay-Signature"


def start_signing(store: Store, settings: ServerSettings) -> ServerKey:
    """Load the server's key (generating it when absent; a key file readable by others is
    refused) and record it in the ledger when it is new or replaces another."""
    path = settings.signing_key_path
    if settings.signing_key is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    key, generated = load_server_key(path)
    record_key(store, key, reason="generated at first start" if generated else "first use")
    return key


def server_key(request: Request) -> ServerKey:
    """The key of the server handling ``request``."""
    key: ServerKey = request.app.state.signing_key
    return key


def signed_response(
    request: Request, body: bytes | str, *, media_type: str, name: str, kind: str
) -> Response:
    """``body`` with its signature: the envelope's statement names the file ``name`` and the
    SHA-256 of exactly these bytes; ``assay verify FILE --key server.pub --bundle ENVELOPE``
    checks it after the header is decoded into ENVELOPE."""
    data = body.encode() if isinstance(body, str) else body
    envelope = envelope_of(
        Path(name).name, hashlib.sha256(data).hexdigest(), kind, server_key(request).private
    )
    header = base64.b64encode(json.dumps(envelope.to_json()).encode()).decode()
    return Response(data, media_type=media_type, headers={SIGNATURE_HEADER: header})

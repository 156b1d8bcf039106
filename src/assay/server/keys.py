"""The server's public keys at well-known paths, for anyone who checks its signatures: the
current key as PEM, and every key it has signed with (from the ledger) as JSON. No token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from assay.server.api.answers import ERRORS, SigningKey
from assay.server.auth import store_of
from assay.server.signing import server_key
from assay.services.server_key import signing_keys

__all__ = ["KEYS_PATH", "KEY_PATH", "router"]

KEY_PATH = "/.well-known/assay/signing-key.pub"
KEYS_PATH = "/.well-known/assay/keys.json"
router = APIRouter(responses={422: ERRORS[422]})


@router.get(
    KEY_PATH,
    response_class=Response,
    summary="The server's current public signing key, PEM (public)",
    responses={200: {"content": {"application/x-pem-file": {"schema": {"type": "string"}}}}},
)
def current_key(request: Request) -> Response:
    """The Ed25519 public key (PEM SubjectPublicKeyInfo) that checks the server's checkpoints,
    reports and certificates: ``assay verify FILE --key signing-key.pub``."""
    key = server_key(request)
    return Response(
        key.public_pem,
        media_type="application/x-pem-file",
        headers={"Assay-Key-Id": key.keyid},
    )


@router.get(
    KEYS_PATH,
    response_model=list[SigningKey],
    summary="Every key the server has signed with, oldest first (public)",
)
def all_keys(request: Request) -> list[dict[str, Any]]:
    """The keys the ledger records (``signing.key`` entries): a rotation adds one, and the old
    ones stay listed so what they signed stays checkable."""
    return signing_keys(store_of(request))

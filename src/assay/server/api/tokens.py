"""Tokens of the Audit API (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from assay.server.api.answers import ERRORS, TokenCreated, TokenInfo
from assay.server.api.common import (
    Name,
    StrictBody,
)
from assay.server.auth import caller, store_of
from assay.server.errors import ApiError
from assay.server.guard import GuardedRoute, roles
from assay.store.tokens import Role, Token, create_token, list_tokens, revoke_token

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute, responses=ERRORS)


class TokenRequest(StrictBody):
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


@router.get(
    "/tokens",
    response_model=list[TokenInfo],
    openapi_extra=roles(Role.admin),
    summary="Tokens, without secrets (admin)",
)
def get_tokens(request: Request) -> list[dict[str, Any]]:
    caller(request, Role.admin)
    return [_token_json(token) for token in list_tokens(store_of(request))]


@router.post(
    "/tokens",
    response_model=TokenCreated,
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
    "/tokens/{token_id}",
    response_model=TokenInfo,
    openapi_extra=roles(Role.admin),
    summary="Revoke a token (admin)",
)
def delete_token(token_id: str, request: Request) -> dict[str, Any]:
    caller(request, Role.admin)
    store = store_of(request)
    if not any(token.id == token_id for token in list_tokens(store)):
        raise ApiError(404, "unknown_token", f"no token {token_id!r}")
    return _token_json(revoke_token(store, token_id))

"""Who is calling: the bearer token of a request, checked for its role and scope."""

from __future__ import annotations

from fastapi import Request

from assay.server.errors import ApiError
from assay.store import Store
from assay.store.tokens import Role, Token, find_token

__all__ = ["caller", "in_scope", "store_of"]


def store_of(request: Request) -> Store:
    """The store the application serves."""
    store: Store = request.app.state.store
    return store


def presented_token(request: Request) -> Token | None:
    """The valid token in ``Authorization: Bearer …`` or the dashboard's cookie, if any
    (looked up once per request)."""
    if "token" in request.scope.get("state", {}):
        found: Token | None = request.state.token
        return found
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer":
        presented = request.cookies.get("assay_token", "")
    found = find_token(store_of(request), presented.strip()) if presented else None
    request.state.token = found
    return found


def in_scope(token: Token, spec: str | None = None, target: str | None = None) -> bool:
    """A token without a scope reaches everything; a scoped one only the spec or target its
    scope names."""
    return token.scope is None or token.scope in (spec, target)


def caller(
    request: Request, *roles: Role, spec: str | None = None, target: str | None = None
) -> Token:
    """The caller's token if it has one of ``roles`` and reaches ``spec``/``target``: 401
    without a valid token, 403 for another role or outside the token's scope."""
    token = presented_token(request)
    if token is None:
        raise ApiError(401, "unauthorized", "a valid token is needed: Authorization: Bearer …")
    if token.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise ApiError(
            403, "forbidden", f"a {token.role.value} token may not do this ({allowed} may)"
        )
    if (spec is not None or target is not None) and not in_scope(token, spec, target):
        raise ApiError(403, "out_of_scope", f"this token is limited to {token.scope!r}")
    return token

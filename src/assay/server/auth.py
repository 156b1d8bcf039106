"""Who is calling: the bearer token of a request, checked for its role and scope."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from assay.server.errors import ApiError
from assay.store import Store
from assay.store.ledger_index import latest_of
from assay.store.push_reads import token_and_latest
from assay.store.tokens import Role, Token, find_token, token_parts

__all__ = ["caller", "caller_and_latest", "in_scope", "store_of"]


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
    presented = _presented_text(request)
    found = find_token(store_of(request), presented) if presented else None
    request.state.token = found
    return found


def _presented_text(request: Request) -> str:
    """The token's text as the request presents it (empty: none)."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer":
        presented = request.cookies.get("assay_token", "")
    return presented.strip()


def in_scope(token: Token, spec: str | None = None, target: str | None = None) -> bool:
    """A token without a scope reaches everything; a scoped one only the spec or target its
    scope names."""
    return token.scope is None or token.scope in (spec, target)


def caller(
    request: Request, *roles: Role, spec: str | None = None, target: str | None = None
) -> Token:
    """The caller's token if it has one of ``roles`` and reaches ``spec``/``target``: 401
    without a valid token, 403 for another role or outside the token's scope."""
    return _allowed(presented_token(request), roles, spec, target)


def caller_and_latest(
    request: Request, roles: Sequence[Role], keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """:func:`caller` for ``roles`` (401, 403) with the ledger index's seq of each (kind, key)
    of ``keys`` that has one, read in the same statement as the token (one round trip to
    PostgreSQL where :func:`caller` and the index take two; nothing of the index is answered
    or used when the caller is refused)."""
    if "token" in request.scope.get("state", {}):
        caller(request, *roles)
        with store_of(request).database.reading() as conn:
            return latest_of(conn, keys)
    presented = _presented_text(request)
    if token_parts(presented) is None:  # no token's text at all: refused without a read
        request.state.token = None
        _allowed(None, roles, None, None)
    token, latest = token_and_latest(store_of(request), presented, keys)
    request.state.token = token
    _allowed(token, roles, None, None)
    return latest


def _allowed(
    token: Token | None, roles: Sequence[Role], spec: str | None, target: str | None
) -> Token:
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

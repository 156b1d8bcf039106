"""Audit API tokens: who may do what on the server (the sources' auditee, auditing party and
certification body, plus an administrator).

A token is ``assay_<id>_<secret>``. Only the SHA-256 of the secret is stored; the whole token
is shown once, when it is created. Presented tokens are checked in constant time. Creating and
revoking a token are ledger entries (without the secret or its hash).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from assay.errors import InvalidInputError
from assay.names import check_name
from assay.store import Store
from assay.store.driver_reads import driver_rows
from assay.store.schema import api_tokens

__all__ = [
    "TOKEN_COLUMNS",
    "Role",
    "Token",
    "active_token",
    "create_token",
    "find_token",
    "list_tokens",
    "revoke_token",
    "token_parts",
]

PREFIX = "assay"
TOKEN_KIND = "api.token"


class Role(StrEnum):
    """What a token may do: ``auditee`` pushes evidence and triggers runs, ``auditor`` reads
    (confidential values only with ``internal``) and posts assessor verdicts, ``certifier``
    issues, suspends and revokes certificates, ``admin`` manages tokens."""

    auditee = "auditee"
    auditor = "auditor"
    certifier = "certifier"
    admin = "admin"


@dataclass(frozen=True)
class Token:
    """A stored token, without its secret."""

    id: str
    name: str
    role: Role
    scope: str | None
    internal: bool
    created: str
    revoked: str | None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked is None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


_BY_ID = select(api_tokens).where(api_tokens.c.id == bindparam("id"))
# The stored columns of a token, in the order of the rows' values.
TOKEN_COLUMNS = tuple(_BY_ID.selected_columns.keys())


def _row_token(row: object) -> Token:
    return _mapping_token(row._mapping)  # type: ignore[attr-defined]


def _mapping_token(mapping: Mapping[str, Any]) -> Token:
    return Token(
        mapping["id"],
        mapping["name"],
        Role(mapping["role"]),
        mapping["scope"],
        bool(mapping["internal"]),
        mapping["created"],
        mapping["revoked"],
    )


def create_token(
    store: Store, *, name: str, role: Role, scope: str | None = None, internal: bool = False
) -> tuple[Token, str]:
    """Store a new token and return it with its full text (shown once, never stored)."""
    check_name(name, source="--name", what="token name")
    if scope is not None:
        check_name(scope, source="--scope", what="scope")
    if internal and role is not Role.auditor:
        raise InvalidInputError(
            "only auditor tokens are granted internal access",
            source="--internal",
            expected="--role auditor",
        )
    identifier, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    with store.database.writing() as conn:
        conn.execute(
            insert(api_tokens).values(
                id=identifier,
                name=name,
                role=role.value,
                scope=scope,
                internal=internal,
                secret_hash=_hash(secret),
                created=created,
                revoked=None,
            )
        )
        store.ledger.append_in(
            conn,
            [
                (
                    TOKEN_KIND,
                    {
                        "event": "created",
                        "token": identifier,
                        "name": name,
                        "role": role.value,
                        "scope": scope,
                        "internal": internal,
                        "at": created,
                    },
                )
            ],
        )
    token = Token(identifier, name, role, scope, internal, created, None)
    return token, f"{PREFIX}_{identifier}_{secret}"


def list_tokens(store: Store) -> list[Token]:
    """Every token, oldest first (secrets are never readable)."""
    with store.database.reading() as conn:
        rows = conn.execute(select(api_tokens).order_by(api_tokens.c.created, api_tokens.c.id))
        return [_row_token(row) for row in rows]


def find_token(store: Store, presented: str) -> Token | None:
    """The active token whose text is ``presented``, or None (malformed, unknown, wrong secret
    or revoked). The secret is compared in constant time."""
    parsed = token_parts(presented)
    if parsed is None:
        return None
    identifier, secret = parsed
    with store.database.reading() as conn:
        rows = driver_rows(conn, _BY_ID, id=identifier)  # on every request: the lean way
    return active_token(secret, dict(zip(TOKEN_COLUMNS, rows[0], strict=True)) if rows else None)


def token_parts(presented: str) -> tuple[str, str] | None:
    """The id and secret of a token's text ``assay_<id>_<secret>``; None when it is not one."""
    parts = presented.strip().split("_")
    if len(parts) < 3 or parts[0] != PREFIX:
        return None
    return parts[1], "_".join(parts[2:])


def active_token(secret: str, row: Mapping[str, Any] | None) -> Token | None:
    """The token of ``row`` (the stored token of the presented id, by column name; None when
    there is none) if ``secret`` is its secret and it is not revoked. The secret is compared
    in constant time, and hashed whether or not the id exists."""
    if row is None:
        hmac.compare_digest(_hash(secret), "0" * 64)  # same work whether or not the id exists
        return None
    if not hmac.compare_digest(_hash(secret), row["secret_hash"]):
        return None
    token = _mapping_token(row)
    return token if token.active else None


def revoke_token(store: Store, identifier: str) -> Token:
    """Revoke a token by id; :class:`InvalidInputError` for an unknown or revoked one."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with store.database.writing() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.id == identifier)).first()
        if row is None:
            raise InvalidInputError(
                f"no token {identifier!r}",
                source="TOKEN_ID",
                expected="an id from assay token list",
            )
        if row._mapping["revoked"] is not None:
            raise InvalidInputError(
                f"token {identifier} was revoked at {row._mapping['revoked']}",
                source="TOKEN_ID",
                expected="an active token",
            )
        conn.execute(update(api_tokens).where(api_tokens.c.id == identifier).values(revoked=at))
        store.ledger.append_in(
            conn, [(TOKEN_KIND, {"event": "revoked", "token": identifier, "at": at})]
        )
    return replace(_row_token(row), revoked=at)

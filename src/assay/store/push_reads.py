"""The two reads in front of an evidence push — the caller's token and the ledger index's
entries the push's run starts from — in one statement on PostgreSQL.

Each push read its token (is it known, with this secret, not revoked?) and then the ledger
index (the last run and status of its spec and target, its registration, the newest version
of its spec, whether the spec has attestations or waivers): two round trips to the database
before any work, where one more small read a push cost about a tenth of the pushes a second
under load (benchmarks/README.md, "One round trip before a push"). Neither read may be
answered from memory — a revoked token must stop working at once, in every process — so both
go in one statement: the token's row joined to the index's rows, as one row. Both are read
from the same snapshot. Elsewhere (SQLite, or a connection inside a transaction) they are the
two reads they always were.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.store import Store, ledger_index
from assay.store.driver_reads import driver_sql_rows, outside_transaction
from assay.store.tokens import TOKEN_COLUMNS, Token, active_token, find_token, token_parts

__all__ = ["token_and_latest"]

# Always one row: the index's matches as three arrays (NULL for none), and the token's columns
# (NULL when no token has the id).
_TOKEN_AND_LATEST = (
    "SELECT "
    + ", ".join(f"t.{column}" for column in TOKEN_COLUMNS)
    + ", l.kinds, l.keys, l.seqs FROM ("
    " SELECT array_agg(i.kind) AS kinds, array_agg(i.key) AS keys, array_agg(i.seq) AS seqs"
    " FROM ledger_latest AS i"
    " JOIN unnest(%s::text[], %s::text[]) AS w(kind, key) ON i.kind = w.kind AND i.key = w.key"
    ") AS l LEFT JOIN api_tokens AS t ON t.id = %s"
)


def token_and_latest(
    store: Store, presented: str, keys: Sequence[tuple[str, str]]
) -> tuple[Token | None, dict[tuple[str, str], int]]:
    """The active token whose text is ``presented`` (None: malformed, unknown, wrong secret or
    revoked, as :func:`~assay.store.tokens.find_token` finds it) and the seq of the newest
    entry of each (kind, key) of ``keys`` that has one (as
    :func:`~assay.store.ledger_index.latest_of` reads it), read together."""
    parsed = token_parts(presented)
    if parsed is not None and store.database.dialect == "postgresql":
        with store.database.reading() as conn:
            if outside_transaction(conn):
                identifier, secret = parsed
                arrays = ([kind for kind, _ in keys], [key for _, key in keys])
                (row,) = driver_sql_rows(conn, _TOKEN_AND_LATEST, (*arrays, identifier))
                return active_token(secret, _stored_token(row)), _latest(row)
    token = find_token(store, presented)
    with store.database.reading() as conn:
        return token, ledger_index.latest_of(conn, keys)


def _stored_token(row: tuple[Any, ...]) -> dict[str, Any] | None:
    stored = dict(zip(TOKEN_COLUMNS, row[: len(TOKEN_COLUMNS)], strict=True))
    return stored if stored["id"] is not None else None


def _latest(row: tuple[Any, ...]) -> dict[tuple[str, str], int]:
    kinds, keys, seqs = row[len(TOKEN_COLUMNS) :]
    if kinds is None:  # no key of the index matched
        return {}
    return {(kind, key): int(seq) for kind, key, seq in zip(kinds, keys, seqs, strict=True)}

"""The newest ledger entry of each (spec, target) run and status and of each stored
specification, filled for the entries a ledger already holds, so that an audit run finds its
predecessor without reading the ledger from the end.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assay.store.ledger_index import INDEXED_KINDS, latest_keys

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5_000


def upgrade() -> None:
    latest_table = op.create_table(
        "ledger_latest",
        sa.Column("kind", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(1000), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    conn = op.get_bind()
    entries = sa.table(
        "ledger_entries",
        sa.column("seq", sa.BigInteger),
        sa.column("kind", sa.String),
        sa.column("payload", sa.Text),
    )
    latest: dict[tuple[str, str], int] = {}
    after = 0
    while True:
        rows = conn.execute(
            sa.select(entries.c.seq, entries.c.kind, entries.c.payload)
            .where(entries.c.seq > after, entries.c.kind.in_(list(INDEXED_KINDS)))
            .order_by(entries.c.seq)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        latest |= latest_keys((int(seq), kind, _parsed(text)) for seq, kind, text in rows)
        after = int(rows[-1][0])
    if latest:
        conn.execute(
            sa.insert(latest_table),
            [{"kind": kind, "key": key, "seq": seq} for (kind, key), seq in latest.items()],
        )


def _parsed(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:  # a damaged entry is verification's to report; it is not indexed
        return None


def downgrade() -> None:
    op.drop_table("ledger_latest")

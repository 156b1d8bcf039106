"""The ledger's Merkle tree (RFC 9162) as stored perfect subtrees, filled for the entries a
ledger already holds, so that checkpoints and proofs need not rehash the ledger.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assay.store.merkle import NodeKey, extend, leaf_hash

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 10_000


def upgrade() -> None:
    tree = op.create_table(
        "ledger_tree",
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    conn = op.get_bind()
    entries = sa.table("ledger_entries", sa.column("seq", sa.BigInteger), sa.column("hash"))
    frontier: list[tuple[NodeKey, bytes]] = []
    size = 0
    while True:
        hashes = [
            digest
            for (digest,) in conn.execute(
                sa.select(entries.c.hash)
                .where(entries.c.seq > size)
                .order_by(entries.c.seq)
                .limit(_BATCH)
            )
        ]
        if not hashes:
            break
        completed, frontier = extend(
            frontier, size, [leaf_hash(bytes.fromhex(digest)) for digest in hashes]
        )
        conn.execute(
            sa.insert(tree),
            [{"level": lv, "idx": ix, "hash": digest} for (lv, ix), digest in completed],
        )
        size += len(hashes)


def downgrade() -> None:
    op.drop_table("ledger_tree")

"""Ledger entries of format 2 (a payload hash, so that an entry can be served as a stub) and the
disclosures that open their sealed confidential values.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ledger_entries", sa.Column("payload_hash", sa.String(64), nullable=True))
    op.create_table(
        "ledger_disclosures",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("pointer", sa.String(1000), primary_key=True),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_disclosures")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("payload_hash")

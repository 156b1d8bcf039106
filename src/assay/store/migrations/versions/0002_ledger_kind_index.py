"""An index on the ledger's kind, for the audit engine's and rounds' lookups by kind.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ledger_entries_kind_seq", "ledger_entries", ["kind", "seq"])


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_kind_seq", table_name="ledger_entries")

"""The scheduler's state: one job per registered (spec, target), when it is next due and which
server process holds it while it runs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedule_jobs",
        sa.Column("id", sa.String(420), primary_key=True),
        sa.Column("spec", sa.String(200), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("every_seconds", sa.Float, nullable=False),
        sa.Column("next_due", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("last_run", sa.String(32), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("schedule_jobs")

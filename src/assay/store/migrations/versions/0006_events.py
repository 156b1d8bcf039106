"""Events of delivery and of the ML life cycle, deduplicated by (source, id), with indexes for
time, service and environment.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("service", sa.String(200), nullable=True),
        sa.Column("environment", sa.String(200), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received", sa.String(32), nullable=False),
    )
    op.create_index("ix_events_time", "events", ["time"])
    op.create_index(
        "ix_events_service_environment_time", "events", ["service", "environment", "time"]
    )


def downgrade() -> None:
    op.drop_table("events")

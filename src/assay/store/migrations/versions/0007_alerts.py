"""Alerts of the SLOs and correlation rules, the actions each alert takes with their attempts,
and an index for reading events of one type over a time span (the LLM figures, the SLOs).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("alert_class", sa.String(4), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("open_key", sa.String(8), nullable=True),
        sa.Column("opened", sa.Float, nullable=False),
        sa.Column("resolved", sa.Float, nullable=True),
        sa.Column("acknowledged", sa.Float, nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.UniqueConstraint("rule", "open_key", name="uq_alerts_one_open_per_rule"),
    )
    op.create_table(
        "alert_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("phase", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_try", sa.Float, nullable=False),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        sa.UniqueConstraint("alert_id", "action", "phase", name="uq_alert_actions_once"),
    )
    op.create_index("ix_events_type_time", "events", ["type", "time"])


def downgrade() -> None:
    op.drop_index("ix_events_type_time", "events")
    op.drop_table("alert_actions")
    op.drop_table("alerts")

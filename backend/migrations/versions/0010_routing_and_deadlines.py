"""Tickets move between departments and escalate when late: event kinds, escalation
state, staff phone numbers and the WhatsApp alerts that reach them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="status"))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(32)))
    op.create_table(
        "staff_alerts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("variables", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_staff_alerts_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name="fk_staff_alerts_ticket_id_tickets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_staff_alerts"),
    )
    op.create_index("ix_staff_alerts_state", "staff_alerts", ["state"])


def downgrade() -> None:
    op.drop_table("staff_alerts")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone")
    with op.batch_alter_table("ticket_events") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("escalated_at")
        batch.drop_column("escalation_level")

"""Photos kept for tickets, and WhatsApp notifications of status changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_media"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("workflow_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("message_sid", sa.String(64)),
        sa.Column("kind", sa.String(16)),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            ondelete="CASCADE",
            name="fk_notifications_ticket_id_tickets",
        ),
    )
    op.create_index("ix_notifications_pending", "notifications", ["sent_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_pending", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("media")

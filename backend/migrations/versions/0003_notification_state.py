"""A state for each status notice, so an undeliverable one stays visible.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The retry cap of the release before this one (backend/notify.py).
OLD_MAX_ATTEMPTS = 8


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(
            sa.Column("state", sa.String(16), nullable=False, server_default="pending")
        )
    notifications = sa.table(
        "notifications",
        sa.column("state", sa.String),
        sa.column("sent_at", sa.DateTime),
        sa.column("attempts", sa.Integer),
    )
    op.execute(
        notifications.update().where(notifications.c.sent_at.is_not(None)).values(state="sent")
    )
    op.execute(
        notifications.update()
        .where(
            notifications.c.sent_at.is_(None),
            notifications.c.attempts >= OLD_MAX_ATTEMPTS,
        )
        .values(state="failed")
    )
    op.drop_index("ix_notifications_pending", table_name="notifications")
    op.create_index("ix_notifications_due", "notifications", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.create_index("ix_notifications_pending", "notifications", ["sent_at", "next_attempt_at"])
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("state")

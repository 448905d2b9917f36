"""Talking to the citizen about a ticket: questions, answers, closure checks.

- notifications.purpose: what a queued message is (a status notice, a staff
  member's question, the closure check); each has its own wording and template.
- ticket_events.media_url, lat, long: a citizen's photo or pin answering a
  question, or the photo of finished work a department attaches when closing.
- tickets.closure_state, closure_asked_at, citizen_rating, rated_at: whether
  the citizen confirmed the fix (waiting, confirmed, reopened, expired) and
  their 1-5 rating of the handling.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(
            sa.Column("purpose", sa.String(16), nullable=False, server_default="status")
        )
        batch.add_column(sa.Column("media_url", sa.Text))
    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(sa.Column("media_url", sa.Text))
        batch.add_column(sa.Column("lat", sa.Float))
        batch.add_column(sa.Column("long", sa.Float))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("closure_state", sa.String(16)))
        batch.add_column(sa.Column("closure_asked_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("citizen_rating", sa.Integer))
        batch.add_column(sa.Column("rated_at", sa.DateTime(timezone=True)))
        batch.create_index("ix_tickets_closure_state", ["closure_state"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_closure_state")
        for column in ("rated_at", "citizen_rating", "closure_asked_at", "closure_state"):
            batch.drop_column(column)
    with op.batch_alter_table("ticket_events") as batch:
        for column in ("long", "lat", "media_url"):
            batch.drop_column(column)
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("media_url")
        batch.drop_column("purpose")

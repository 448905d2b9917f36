"""The citizen's answer to a staff question, kept once: ticket_events.key is
the action server's idempotency key (the sender and their message), so an
answer posted again, by Rasa running the action again or by another replica
running the message again after the first died, is not recorded twice.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(sa.Column("key", sa.String(64)))
    # Unique where set: the city's own entries have none.
    op.create_index("ux_ticket_events_key", "ticket_events", ["key"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_ticket_events_key", table_name="ticket_events")
    with op.batch_alter_table("ticket_events") as batch:
        batch.drop_column("key")

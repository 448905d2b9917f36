"""Status notices reach web-chat reporters too: a recipient is 'channel:address',
and a web conversation id (up to 128 characters) needs a wider column.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column(
            "recipient", existing_type=sa.String(64), type_=sa.String(160), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column(
            "recipient", existing_type=sa.String(160), type_=sa.String(64), existing_nullable=False
        )

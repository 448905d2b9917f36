"""Duplicates merged into the ticket that carries on: tickets.merged_into_id.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer))
        batch.create_foreign_key(
            "fk_tickets_merged_into_id_tickets",
            "tickets",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_tickets_merged_into_id", ["merged_into_id"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_merged_into_id")
        batch.drop_constraint("fk_tickets_merged_into_id_tickets", type_="foreignkey")
        batch.drop_column("merged_into_id")

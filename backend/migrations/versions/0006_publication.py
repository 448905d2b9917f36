"""Publication of tickets: staff verify a ticket before its text and photos are
public, and may mark its exact place public (else public coordinates are rounded).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("verified_by", sa.String(128), nullable=True))
        # Existing tickets start unverified and rounded: nothing becomes public by migrating.
        batch.add_column(
            sa.Column("place_public", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("place_public")
        batch.drop_column("verified_by")
        batch.drop_column("verified_at")

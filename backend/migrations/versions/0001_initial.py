"""Tickets, their status history and department API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("service_request_id", sa.String(32), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("agency_responsible", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("workflow_status", sa.String(16), nullable=False),
        sa.Column("status_notes", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("address_id", sa.String(128)),
        sa.Column("lat", sa.Float),
        sa.Column("long", sa.Float),
        sa.Column("kelurahan_code", sa.String(16)),
        sa.Column("media_urls", sa.JSON, nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(128)),
        sa.Column("phone", sa.String(32)),
        sa.Column("email", sa.String(254)),
        sa.Column("first_name", sa.String(128)),
        sa.Column("last_name", sa.String(128)),
        sa.Column("device_id", sa.String(128)),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("request_fingerprint", sa.String(64)),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("service_request_id", name="uq_tickets_service_request_id"),
        sa.UniqueConstraint("idempotency_key", name="uq_tickets_idempotency_key"),
    )
    for column in (
        "service_code",
        "agency_responsible",
        "status",
        "kelurahan_code",
        "account_id",
        "requested_at",
    ):
        op.create_index(f"ix_tickets_{column}", "tickets", [column])

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("workflow_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_events"),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            ondelete="CASCADE",
            name="fk_ticket_events_ticket_id_tickets",
        ),
    )
    op.create_index("ix_ticket_events_ticket_id_id", "ticket_events", ["ticket_id", "id"])

    op.create_table(
        "department_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(128)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_department_keys"),
        sa.UniqueConstraint("key_hash", name="uq_department_keys_key_hash"),
    )


def downgrade() -> None:
    op.drop_table("department_keys")
    op.drop_index("ix_ticket_events_ticket_id_id", table_name="ticket_events")
    op.drop_table("ticket_events")
    for column in (
        "service_code",
        "agency_responsible",
        "status",
        "kelurahan_code",
        "account_id",
        "requested_at",
    ):
        op.drop_index(f"ix_tickets_{column}", table_name="tickets")
    op.drop_table("tickets")

"""Emergencies handed to live 112 operators: shifts, incidents, their timeline and sends.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
WHEN = sa.DateTime(timezone=True)


def _user_fk(table: str, column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=f"fk_{table}_{column}_users", ondelete=ondelete
    )


def _incident_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["incident_id"],
        ["incidents.id"],
        name=f"fk_{table}_incident_id_incidents",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "operator_shifts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("last_seen_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN),
        _user_fk("operator_shifts", "user_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_operator_shifts"),
    )
    op.create_index("ix_operator_shifts_open", "operator_shifts", ["ended_at", "last_seen_at"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("conversation_key", sa.String(128), nullable=False),
        sa.Column("contact", sa.Text),
        sa.Column("text", sa.Text),
        sa.Column("location_text", sa.Text),
        sa.Column("kelurahan", sa.String(128)),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("transcript", sa.JSON),
        sa.Column("owner_id", sa.Integer),
        sa.Column("operators_on_duty", sa.Integer, nullable=False, server_default="0"),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("alerted_at", WHEN),
        sa.Column("seen_at", WHEN),
        sa.Column("accepted_at", WHEN),
        sa.Column("escalated_at", WHEN),
        sa.Column("resolved_at", WHEN),
        sa.Column("resolution", sa.Text),
        _user_fk("incidents", "owner_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.UniqueConstraint("key", name="uq_incidents_key"),
    )
    op.create_index("ix_incidents_state", "incidents", ["state"])
    op.create_index("ix_incidents_conversation_key", "incidents", ["conversation_key"])
    op.create_table(
        "incident_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.Integer),
        sa.Column("text", sa.Text),
        sa.Column("data", sa.JSON),
        _incident_fk("incident_events"),
        _user_fk("incident_events", "actor_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_incident_events"),
    )
    op.create_index("ix_incident_events_incident_at", "incident_events", ["incident_id", "at"])
    op.create_table(
        "incident_sends",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("done_at", WHEN),
        _incident_fk("incident_sends"),
        sa.PrimaryKeyConstraint("id", name="pk_incident_sends"),
    )
    op.create_index("ix_incident_sends_state", "incident_sends", ["state"])


def downgrade() -> None:
    for table in ("incident_sends", "incident_events", "incidents", "operator_shifts"):
        op.drop_table(table)

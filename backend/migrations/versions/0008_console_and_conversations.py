"""The city console's sessions and live events; conversations from Rasa's event broker.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_console_sessions_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    op.create_table(
        "live_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("roles", sa.String(255), nullable=False),
        sa.Column("department_code", sa.String(64)),
        sa.Column("data", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_live_events"),
    )
    op.create_index("ix_live_events_at", "live_events", ["at"])
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("sender_key", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_messages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("bot_messages", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.UniqueConstraint("sender_key", name="uq_conversations_sender_key"),
    )
    op.create_index("ix_conversations_last_event_at", "conversations", ["last_event_at"])
    op.create_table(
        "conversation_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("conversation_id", sa.Integer, nullable=False),
        sa.Column("event_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("intent", sa.String(128)),
        sa.Column("confidence", sa.Float),
        sa.Column("entities", sa.JSON),
        sa.Column("action", sa.String(128)),
        sa.Column("channel", sa.String(32)),
        sa.Column("origin", sa.String(16)),
        sa.Column("data", sa.JSON),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_conversation_events_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_events"),
        sa.UniqueConstraint("event_key", name="uq_conversation_events_event_key"),
    )
    op.create_index(
        "ix_conversation_events_conversation_at", "conversation_events", ["conversation_id", "at"]
    )
    op.create_index("ix_conversation_events_at", "conversation_events", ["at"])
    op.create_table(
        "pipeline_cursors",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("position", BIG_ID, nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_pipeline_cursors"),
    )


def downgrade() -> None:
    for table in (
        "pipeline_cursors",
        "conversation_events",
        "conversations",
        "live_events",
        "console_sessions",
    ):
        op.drop_table(table)

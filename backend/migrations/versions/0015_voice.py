"""The 112 voice line: calls, their answered steps, and prank flags.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "voice_calls",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("caller", sa.String(128), nullable=False),
        sa.Column("contact", sa.Text),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("class", sa.String(16)),
        sa.Column("route", sa.String(16)),
        sa.Column("queue", sa.String(16)),
        sa.Column("cannot_speak", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("dropped", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("prompts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("speech", sa.Text),
        sa.Column("confidence", sa.Float),
        sa.Column("digits", sa.String(32)),
        sa.Column("incident_id", sa.Integer),
        sa.Column("operator_id", sa.Integer),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("queued_at", _TIME),
        sa.Column("connected_at", _TIME),
        sa.Column("ended_at", _TIME),
        sa.Column("end_status", sa.String(16)),
        sa.Column("message_kind", sa.String(16)),
        sa.Column("message_state", sa.String(16), nullable=False, server_default="none"),
        sa.Column("message_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message_next_at", _TIME),
        sa.Column("message_error", sa.Text),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_voice_calls_incident_id_incidents",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["users.id"],
            name="fk_voice_calls_operator_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_voice_calls"),
        sa.UniqueConstraint("call_sid", name="uq_voice_calls_call_sid"),
    )
    for column in ("caller", "state", "class", "incident_id", "started_at", "message_state"):
        op.create_index(f"ix_voice_calls_{column}", "voice_calls", [column])
    op.create_table(
        "voice_steps",
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("twiml", sa.Text, nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("call_sid", "step", name="pk_voice_steps"),
    )
    op.create_table(
        "voice_callers",
        sa.Column("caller", sa.String(128), nullable=False),
        sa.Column("prank_cleared_at", _TIME),
        sa.Column("cleared_by", sa.String(64)),
        sa.PrimaryKeyConstraint("caller", name="pk_voice_callers"),
    )


def downgrade() -> None:
    op.drop_table("voice_callers")
    op.drop_table("voice_steps")
    for column in ("caller", "state", "class", "incident_id", "started_at", "message_state"):
        op.drop_index(f"ix_voice_calls_{column}", "voice_calls")
    op.drop_table("voice_calls")

"""The content editors' tool: inbox decisions, trainings, models, deployments.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "nlu_inbox_decisions",
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64)),
        sa.Column("example", sa.Text),
        sa.Column("commit", sa.String(40)),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["conversation_events.id"],
            name="fk_nlu_inbox_decisions_event_id_conversation_events",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name="pk_nlu_inbox_decisions"),
    )
    op.create_table(
        "nlu_trainings",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("commit", sa.String(40), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("worker", sa.String(128)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("stage", sa.String(128)),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("log", sa.Text, nullable=False, server_default=""),
        sa.Column("error", sa.Text),
        sa.Column("figures", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_nlu_trainings"),
    )
    op.create_index("ix_nlu_trainings_state", "nlu_trainings", ["state"])
    running = sa.text("state = 'running'")
    op.create_index(
        "uq_nlu_trainings_running",
        "nlu_trainings",
        ["state"],
        unique=True,
        postgresql_where=running,
        sqlite_where=running,
    )
    op.create_table(
        "nlu_models",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("training_id", sa.Integer),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["nlu_trainings.id"],
            name="fk_nlu_models_training_id_nlu_trainings",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_nlu_models"),
        sa.UniqueConstraint("sha256", name="uq_nlu_models_sha256"),
        sa.UniqueConstraint("training_id", name="uq_nlu_models_training_id"),
    )
    op.create_table(
        "nlu_deployments",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("model_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["nlu_models.id"],
            name="fk_nlu_deployments_model_id_nlu_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_nlu_deployments"),
    )
    op.create_index("ix_nlu_deployments_at", "nlu_deployments", ["at"])


def downgrade() -> None:
    op.drop_index("ix_nlu_deployments_at", table_name="nlu_deployments")
    op.drop_table("nlu_deployments")
    op.drop_table("nlu_models")
    op.drop_index("uq_nlu_trainings_running", table_name="nlu_trainings")
    op.drop_index("ix_nlu_trainings_state", table_name="nlu_trainings")
    op.drop_table("nlu_trainings")
    op.drop_table("nlu_inbox_decisions")

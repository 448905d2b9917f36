"""Monitoring figures: when the city first answered a ticket and when it was
resolved (kept on the ticket, so the figures need no scan of its history);
the pipeline's daily counts, which outlive the purged conversations (filled
from the events stored so far); and the indexes the monev views group by.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The same counting the pipeline does batch by batch, done once for what is stored.
from backend.pipeline import daily

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)
# The history's actors that are not the city: the report itself, the citizen, the clock.
_NOT_STAFF = "e.actor NOT LIKE 'pelapor (%' AND e.actor NOT IN ('Pelapor (warga)', 'system')"
_CLOSED = "('selesai', 'ditolak', 'duplikat')"


def upgrade() -> None:
    op.add_column("tickets", sa.Column("first_response_at", _TIME))
    op.add_column("tickets", sa.Column("resolved_at", _TIME))
    op.execute(
        "UPDATE tickets SET first_response_at = (SELECT min(e.created_at) FROM ticket_events e"
        f" WHERE e.ticket_id = tickets.id AND {_NOT_STAFF} AND e.kind <> 'escalation')"
    )
    # Closed since the first closing entry after the last entry that left it open
    # (a reopened ticket's earlier closing does not count; neither does a later confirmation).
    op.execute(
        "UPDATE tickets SET resolved_at = (SELECT min(e.created_at) FROM ticket_events e"
        f" WHERE e.ticket_id = tickets.id AND e.workflow_status IN {_CLOSED}"
        " AND e.created_at > (SELECT coalesce(max(o.created_at), tickets.requested_at)"
        " FROM ticket_events o WHERE o.ticket_id = tickets.id"
        f" AND o.workflow_status NOT IN {_CLOSED}))"
        " WHERE status = 'closed'"
    )
    op.create_table(
        "message_days",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("band", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", "kind", "name", "band", name="pk_message_days"),
    )
    bind = op.get_bind()
    for statement in daily.rebuild_statements(bind.dialect.name):
        bind.execute(statement)
    op.create_index("ix_incidents_received_at", "incidents", ["received_at"])
    op.create_index(
        "ix_ticket_events_reopen",
        "ticket_events",
        ["ticket_id"],
        postgresql_where=sa.text("kind = 'reopen'"),
        sqlite_where=sa.text("kind = 'reopen'"),
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_events_reopen", "ticket_events")
    op.drop_index("ix_incidents_received_at", "incidents")
    op.drop_table("message_days")
    op.drop_column("tickets", "resolved_at")
    op.drop_column("tickets", "first_response_at")

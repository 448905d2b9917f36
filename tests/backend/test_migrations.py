from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from backend import migrate
from backend.tables import metadata
from lapor.db import sync_url

TABLES = {
    "tickets",
    "ticket_events",
    "department_keys",
    "media",
    "rate_counters",
    "notifications",
    "users",
    "user_roles",
    "audit_log",
    "console_sessions",
    "live_events",
    "conversations",
    "conversation_events",
    "pipeline_cursors",
    "message_days",
    "operator_shifts",
    "incidents",
    "incident_events",
    "incident_sends",
    "staff_alerts",
    "canned_replies",
    "nlu_inbox_decisions",
    "nlu_trainings",
    "nlu_models",
    "nlu_deployments",
    "voice_calls",
    "voice_steps",
    "voice_callers",
    "alembic_version",
}


def test_upgrade_from_empty_matches_the_model(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    engine = create_engine(sync_url(empty_database), future=True)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == TABLES
        # The migrations and backend/tables.py describe the same schema.
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def test_downgrade_to_base_and_up_again(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    migrate.downgrade(empty_database, "base")
    engine = create_engine(sync_url(empty_database), future=True)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    engine.dispose()
    migrate.upgrade(empty_database)


def test_upgrade_is_repeatable(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    migrate.upgrade(empty_database)

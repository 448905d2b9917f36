"""Alembic environment: migrate the database named by the config or DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from backend.settings import BackendSettings
from backend.tables import metadata
from lapor.db import sync_url

config = context.config
url = config.get_main_option("sqlalchemy.url") or BackendSettings.load().database_url


def run_offline() -> None:
    context.configure(url=sync_url(url), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(sync_url(url), future=True)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite cannot ALTER most things; batch mode recreates tables.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

"""Engines and URLs: one DATABASE_URL drives the async app and sync Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg2"}


def async_url(url: str) -> str:
    return _with_driver(url, ASYNC_DRIVERS)


def sync_url(url: str) -> str:
    return _with_driver(url, SYNC_DRIVERS)


def _with_driver(url: str, drivers: dict[str, str]) -> str:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgres":  # Heroku-style URLs
        backend = "postgresql"
    if backend not in drivers:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return str(parsed.set(drivername=drivers[backend]))


def create_engine(url: str) -> AsyncEngine:
    target = async_url(url)
    if target.startswith("sqlite"):
        # SQLite allows one writer: wait for the lock instead of failing at once.
        return create_async_engine(target, connect_args={"timeout": 30})
    return create_async_engine(target, pool_pre_ping=True, pool_size=10, max_overflow=10)


def ensure_sqlite_dir(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)


def insert_ignoring(conn: AsyncConnection, table: Table, key: str) -> Any:
    """INSERT ... ON CONFLICT (key) DO NOTHING, in this connection's dialect."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=[key])

"""Shared fixtures: real databases (SQLite file and PostgreSQL), the backend app."""

from __future__ import annotations

import inspect
import os
import uuid
from pathlib import Path
from typing import AsyncIterator, Iterator, List

import psycopg2
import pytest
from sanic import Sanic
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend import migrate
from backend.settings import BackendSettings
from lapor import http
from lapor.db import sync_url
from tests.fake_twilio import FakeTwilio
from tests.servers import Server

# CI and developers' machines serve PostgreSQL here (trust auth). If it is not
# reachable the PostgreSQL tests fail: they never skip.
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)

Sanic.test_mode = True


def _create_postgres_database() -> str:
    name = f"lapor_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(POSTGRES_ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return str(make_url(POSTGRES_ADMIN_URL).set(database=name))


def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = psycopg2.connect(POSTGRES_ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'backend.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    url = _create_postgres_database()
    migrate.upgrade(url)
    yield url
    _drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every backend test runs on both databases, each starting empty."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    _truncate(url)
    yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it (not even a schema), on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'empty.sqlite3'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


def _truncate(url: str) -> None:
    engine = create_sync_engine(sync_url(url), future=True)
    with engine.begin() as conn:
        for table in ("notifications", "ticket_events", "media", "tickets", "department_keys"):
            conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> BackendSettings:
    return BackendSettings.load(database_url=database_url, open311_api_key="test-api-key")


@pytest.fixture
def app(settings: BackendSettings) -> Sanic:
    from backend.app import create_app

    return create_app(settings, name=f"backend-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def model() -> Path:
    from tests.model import trained_model

    return trained_model()


@pytest.fixture(scope="session")
def live_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The backend as a real server on PostgreSQL, for code that calls it over HTTP."""
    from tests import servers

    url = _create_postgres_database()
    try:
        with servers.backend(url, tmp_path_factory.mktemp("backend-logs")) as server:
            yield server
    finally:
        _drop_postgres_database(url)


@pytest.fixture
async def _shared_http_session_closed() -> AsyncIterator[None]:
    """Each async test runs in a loop of its own: its shared HTTP session ends with it."""
    yield
    await http.close()


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    # Only async tests get it: an async fixture would start an event loop
    # around sync tests too, and Playwright's sync API refuses to run in one.
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and inspect.iscoroutinefunction(function):
            item.fixturenames.append("_shared_http_session_closed")  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def twilio() -> Iterator[FakeTwilio]:
    yield FakeTwilio().start()


@pytest.fixture
def fake(twilio: FakeTwilio) -> FakeTwilio:
    """The fake Twilio API with no recorded calls and no planned failures."""
    twilio.reset()
    return twilio

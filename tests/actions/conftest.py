"""A real backend (PostgreSQL) for the actions that talk to it."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests import servers
from tests.conftest import _create_postgres_database, _drop_postgres_database


@pytest.fixture(scope="session")
def live_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    url = _create_postgres_database()
    try:
        with servers.backend(url, tmp_path_factory.mktemp("backend-logs")) as server:
            yield server
    finally:
        _drop_postgres_database(url)


@pytest.fixture
def action_env(
    live_backend: servers.Server, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> servers.Server:
    """Point the actions' settings at the live backend and a fresh outbox."""
    monkeypatch.setenv("BACKEND_URL", live_backend.url)
    monkeypatch.setenv("OPEN311_API_KEY", "test-api-key")
    monkeypatch.setenv("OUTBOX_DATABASE_URL", f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    monkeypatch.setenv("BACKEND_TIMEOUT", "3")
    return live_backend

"""The actions talk to the live backend (tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests import servers


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

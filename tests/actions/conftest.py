"""The actions talk to the live backend (tests/conftest.py)."""

from __future__ import annotations

from typing import Iterator

import pytest

from actions.settings import get_settings
from tests import servers


@pytest.fixture
def action_env(
    live_backend: servers.Server, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[servers.Server]:
    """Point the actions' settings at the live backend and a fresh outbox.

    The actions read the process's settings, loaded once: each test starts a
    "process" of its own by loading them afresh.
    """
    monkeypatch.setenv("BACKEND_URL", live_backend.url)
    monkeypatch.setenv("OPEN311_API_KEY", "test-api-key")
    monkeypatch.setenv("OUTBOX_DATABASE_URL", f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    monkeypatch.setenv("BACKEND_TIMEOUT", "3")
    get_settings.cache_clear()
    yield live_backend
    get_settings.cache_clear()

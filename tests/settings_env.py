"""What the settings tests of the three processes share: a clean environment,
fit production secrets, and the check that an entry point refuses to start."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional, Type

import pytest
from cryptography.fernet import Fernet

from lapor.settings import AppSettings
from tests import servers

# Secrets production accepts (long, not development values).
FIT_SECRETS: Dict[str, str] = {
    "OPEN311_API_KEY": "open311-" + "k" * 32,
    "RASA_TOKEN": "rasa-" + "t" * 32,
    "CONTACT_KEY": Fernet.generate_key().decode(),
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "REST_CHANNEL_TOKEN": "rest-" + "r" * 32,
    "ACTION_SERVER_TOKEN": "action-" + "a" * 32,
    "EDITOR_TOKEN": "editor-" + "e" * 32,
}


def clear(monkeypatch: pytest.MonkeyPatch, settings: Type[AppSettings]) -> None:
    """No variable of these settings leaks in from the developer's shell or CI."""
    for name in settings.__fields__:
        monkeypatch.delenv(settings.env_name(name), raising=False)


def isolated(settings: Type[AppSettings], cached: Optional[Any] = None) -> Any:
    """An autouse fixture: a clean environment, and the process's cached
    settings (`get_settings`) forgotten before and after each test."""

    @pytest.fixture(autouse=True)
    def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        clear(monkeypatch, settings)
        if cached is not None:
            cached.cache_clear()
        yield
        if cached is not None:
            cached.cache_clear()

    return _isolated


def assert_refuses_to_start(module: str, *args: str, variable: str, env: Dict[str, str]) -> None:
    result = servers.run_process(module, *args, **env)
    assert result.returncode != 0
    assert variable in result.stderr
    assert "configuration error: APP_ENV=production refuses to start" in result.stderr

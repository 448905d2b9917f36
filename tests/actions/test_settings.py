"""The action server's settings, and `python -m actions` refusing what production must not run."""

from __future__ import annotations

from typing import Dict

import pytest

from actions.settings import ActionSettings, get_settings
from actions.status import CheckStatus
from lapor.settings import DEVELOPMENT_API_KEY, DEVELOPMENT_RASA_TOKEN, ConfigError
from tests.settings_env import FIT_SECRETS, assert_refuses_to_start, isolated

clean_environment = isolated(ActionSettings, get_settings)


def production_env(**overrides: str) -> Dict[str, str]:
    return {
        "APP_ENV": "production",
        "OPEN311_API_KEY": FIT_SECRETS["OPEN311_API_KEY"],
        "RASA_TOKEN": FIT_SECRETS["RASA_TOKEN"],
        "ACTION_SERVER_TOKEN": FIT_SECRETS["ACTION_SERVER_TOKEN"],
        "OUTBOX_DATABASE_URL": "postgresql://lapor@127.0.0.1:1/outbox",
        **overrides,
    }


def test_development_defaults() -> None:
    settings = ActionSettings.load()
    assert settings.open311_api_key == DEVELOPMENT_API_KEY
    assert settings.rasa_token == DEVELOPMENT_RASA_TOKEN
    assert settings.outbox_url.startswith("sqlite:///")
    assert (settings.port, settings.backend_url) == (5055, "http://localhost:8000")
    assert settings.host == "127.0.0.1"  # only this machine, unless ACTIONS_HOST says otherwise
    assert settings.rasa_url == "http://localhost:5005"


def test_every_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "BACKEND_URL": "http://backend:8000/",
        "OPEN311_API_KEY": "k",
        "BACKEND_TIMEOUT": "3",
        "OUTBOX_DATABASE_URL": "postgresql://h/outbox",
        "OUTBOX_INTERVAL": "5",
        "RASA_PORT": "5006",
        "RASA_TOKEN": "t",
        "ACTIONS_PORT": "5056",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = ActionSettings.load()
    assert settings.backend_url == "http://backend:8000"
    assert (settings.open311_api_key, settings.rasa_token) == ("k", "t")
    assert (settings.backend_timeout, settings.outbox_interval) == (3.0, 5.0)
    assert settings.outbox_url == "postgresql://h/outbox"
    assert settings.rasa_url == "http://localhost:5006"  # RASA_URL unset: follows RASA_PORT
    assert settings.port == 5056


def test_actions_built_by_rasa_sdk_share_the_process_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BACKEND_URL", "http://first")
    first = CheckStatus()
    monkeypatch.setenv("BACKEND_URL", "http://second")  # read once: no effect now
    assert CheckStatus().settings is first.settings
    assert first.settings.backend_url == "http://first"


def test_a_fit_production_configuration_passes_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in production_env().items():
        monkeypatch.setenv(name, value)
    ActionSettings.load().check_production()


def test_production_check_names_an_unset_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in production_env(RASA_TOKEN="").items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="RASA_TOKEN is not set"):
        ActionSettings.load().check_production()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RASA_TOKEN", DEVELOPMENT_RASA_TOKEN),  # a development secret
        ("OUTBOX_DATABASE_URL", "sqlite:///var/outbox.sqlite3"),  # SQLite
        ("OPEN311_API_KEY", "short-but-not-development"),  # a short secret
    ],
)
def test_production_action_server_refuses_to_start(variable: str, value: str) -> None:
    assert_refuses_to_start("actions", variable=variable, env=production_env(**{variable: value}))

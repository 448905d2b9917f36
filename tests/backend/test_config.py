from __future__ import annotations

import pytest

from backend.config import ConfigError, load_settings
from lapor.db import async_url, sync_url
from lapor.settings import DEVELOPMENT_API_KEY


def test_development_defaults() -> None:
    settings = load_settings({})
    assert settings.open311_api_key == DEVELOPMENT_API_KEY
    assert settings.api_key_is_default
    assert settings.database_url.startswith("sqlite:///")
    assert settings.port == 8000


PRODUCTION = {
    "APP_ENV": "production",
    "OPEN311_API_KEY": "s3cret",
    "CONTACT_KEY": "k",
    "DATABASE_URL": "postgresql://db/x",
}


@pytest.mark.parametrize("missing", ["OPEN311_API_KEY", "DATABASE_URL", "CONTACT_KEY"])
def test_production_refuses_without_its_secrets(missing: str) -> None:
    with pytest.raises(ConfigError, match=missing):
        load_settings({k: v for k, v in PRODUCTION.items() if k != missing})
    assert load_settings(PRODUCTION).production


def test_environment_overrides() -> None:
    settings = load_settings(
        {"OPEN311_API_KEY": "k", "BACKEND_PORT": "9000", "DATABASE_URL": "postgresql://h/db"}
    )
    assert (settings.open311_api_key, settings.port, settings.api_key_is_default) == (
        "k",
        9000,
        False,
    )


def test_bad_number_is_named() -> None:
    with pytest.raises(ConfigError, match="BACKEND_PORT must be a whole number"):
        load_settings({"BACKEND_PORT": "eighty"})


def test_driver_urls() -> None:
    assert async_url("postgresql://u@h:5432/db") == "postgresql+asyncpg://u@h:5432/db"
    assert sync_url("postgres://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert async_url("sqlite:///var/x.sqlite3") == "sqlite+aiosqlite:///var/x.sqlite3"
    with pytest.raises(ValueError, match="unsupported database"):
        async_url("mysql://u@h/db")

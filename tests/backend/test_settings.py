"""The backend's settings, and `python -m backend` refusing what production must not run."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from backend import keys
from backend.settings import BackendSettings
from lapor.catalogue import load_catalogue
from lapor.db import create_engine
from lapor.paths import SERVICES_FILE
from lapor.settings import DEVELOPMENT_API_KEY, ConfigError
from tests import servers
from tests.settings_env import FIT_SECRETS, assert_refuses_to_start, isolated

CONTACT_KEY = FIT_SECRETS["CONTACT_KEY"]
API_KEY = FIT_SECRETS["OPEN311_API_KEY"]
# Checked before any connection: no database needs to listen here.
POSTGRES = "postgresql://lapor@127.0.0.1:1/lapor"


clean_environment = isolated(BackendSettings)


def production_env(**overrides: str) -> Dict[str, str]:
    return {
        "APP_ENV": "production",
        **FIT_SECRETS,
        "DATABASE_URL": POSTGRES,
        "PIPELINE_SOURCE": "pika",
        "EMERGENCY_SUPERVISOR_PHONE": "+6281234500112",
        **overrides,
    }


def test_development_defaults() -> None:
    settings = BackendSettings.load()
    assert settings.open311_api_key == DEVELOPMENT_API_KEY
    assert settings.database_url.startswith("sqlite:///")
    assert (settings.port, settings.workers, settings.max_tickets_per_hour) == (8000, 1, 5)
    assert settings.rasa_public_url == "http://localhost:5005"
    assert settings.public_url == "http://localhost:8000"
    # Only the backend's own demo page may embed the widget, and only this machine connects.
    assert settings.widget_origins == ("http://localhost:8000", "http://127.0.0.1:8000")
    assert settings.host == "127.0.0.1"


def test_every_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "DATABASE_URL": "postgresql://h/db",
        "OPEN311_API_KEY": "k",
        "OPEN311_JURISDICTION_ID": "example.go.id",
        "SERVICES_FILE": "/srv/services.yml",
        "GAZETTEER_FILE": "/srv/wilayah.geojson",
        "BACKEND_HOST": "127.0.0.1",
        "BACKEND_PORT": "9000",
        "BACKEND_WORKERS": "4",
        "MAX_TICKETS_PER_HOUR": "0",
        "RASA_PORT": "5006",
        "NOTIFY_INTERVAL": "2.5",
        "WIDGET_ALLOWED_ORIGINS": "https://kedirikota.go.id, https://lapor.kedirikota.go.id",
        "REDIS_URL": "redis://redis:6379/0",
        "MAX_PHOTO_BYTES": "1048576",
        "AGENCIES_FILE": "/srv/agencies.yml",
        "EMERGENCY_ACCEPT_SECONDS": "45",
        "EMERGENCY_SUPERVISOR_PHONE": "+6281234500112",
        "EMERGENCY_CHECK_INTERVAL": "0.5",
        "TWILIO_VOICE_FROM": "+12025550112",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = BackendSettings.load()
    assert settings.database_url == "postgresql://h/db"
    assert settings.open311_api_key == "k"
    assert settings.jurisdiction_id == "example.go.id"
    assert settings.services_file == Path("/srv/services.yml")
    assert settings.gazetteer_file == Path("/srv/wilayah.geojson")
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 9000, 4)
    assert settings.max_tickets_per_hour == 0
    # Unset public URLs follow the ports.
    assert settings.rasa_public_url == "http://localhost:5006"
    assert settings.public_url == "http://localhost:9000"
    assert settings.notify_interval == 2.5
    assert settings.widget_origins == ("https://kedirikota.go.id", "https://lapor.kedirikota.go.id")
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.max_photo_bytes == 1048576
    assert settings.agencies_file == Path("/srv/agencies.yml")
    assert settings.emergency_accept_seconds == 45
    assert settings.emergency_supervisor_phone == "+6281234500112"
    assert settings.emergency_check_interval == 0.5
    assert settings.twilio_voice_from == "+12025550112"


def test_public_urls_lose_a_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_PUBLIC_URL", "https://lapor.kedirikota.go.id/")
    monkeypatch.setenv("RASA_PUBLIC_URL", "https://bot.kedirikota.go.id/")
    settings = BackendSettings.load()
    assert settings.public_url == "https://lapor.kedirikota.go.id"
    assert settings.rasa_public_url == "https://bot.kedirikota.go.id"


def test_a_bad_number_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_PORT", "eighty")
    with pytest.raises(ConfigError, match="BACKEND_PORT"):
        BackendSettings.load()


def test_a_fit_production_configuration_passes_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in production_env().items():
        monkeypatch.setenv(name, value)
    settings = BackendSettings.load()
    assert settings.production
    settings.check_production()


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("OPEN311_API_KEY", DEVELOPMENT_API_KEY, "is a development value"),
        ("OPEN311_API_KEY", "", "is not set"),
        ("CONTACT_KEY", "", "is not set"),
        ("DATABASE_URL", "", "is not set"),
        ("TWILIO_AUTH_TOKEN", "too-short", "is shorter than 32 characters"),
        ("PIPELINE_SOURCE", "sql", "is sql on a SQLite file"),
        ("EMERGENCY_SUPERVISOR_PHONE", "", "is not set: nobody is called"),
    ],
)
def test_production_check_names_what_it_refuses(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    env = production_env(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="t" * 32)
    for name, fit in {**env, variable: value}.items():
        monkeypatch.setenv(name, fit)
    with pytest.raises(ConfigError, match=f"{variable} {reason}"):
        BackendSettings.load().check_production()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OPEN311_API_KEY", DEVELOPMENT_API_KEY),  # a development secret
        ("DATABASE_URL", "sqlite:///var/lapor.sqlite3"),  # SQLite
        ("OPEN311_API_KEY", "short-but-not-development"),  # a short secret
    ],
)
def test_production_backend_refuses_to_start(variable: str, value: str) -> None:
    assert_refuses_to_start(
        "backend", "serve", variable=variable, env=production_env(**{variable: value})
    )


def _departments() -> list[str]:
    return [*load_catalogue(SERVICES_FILE).departments, keys.ADMIN]


async def _valid_development_keys(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        return await keys.valid_development_keys(engine, _departments())
    finally:
        await engine.dispose()


async def test_revoke_key_closes_development_keys(database_url: str) -> None:
    servers.run_module("backend", "dev-keys", DATABASE_URL=database_url)
    assert len(await _valid_development_keys(database_url)) == len(_departments())
    out = servers.run_module(
        "backend", "revoke-key", "--key", "dev-admin-key", DATABASE_URL=database_url
    )
    assert out.strip() == "revoked 1 key(s)"
    servers.run_module("backend", "revoke-key", "dishub", DATABASE_URL=database_url)
    left = await _valid_development_keys(database_url)
    assert "dev-admin-key" not in left and "dev-dishub-key" not in left
    assert "dev-dpupr-key" in left
    engine = create_engine(database_url)
    try:
        assert await keys.holder_of(engine, "dev-admin-key") is None
        assert await keys.holder_of(engine, "dev-dpupr-key") is not None
    finally:
        await engine.dispose()


def test_revoking_nothing_fails(database_url: str) -> None:
    again = servers.run_process(
        "backend", "revoke-key", "--key", "never-issued", DATABASE_URL=database_url
    )
    assert again.returncode == 1 and "revoked 0 key(s)" in again.stdout
    unknown = servers.run_process("backend", "revoke-key", "nodept", DATABASE_URL=database_url)
    assert unknown.returncode == 2 and "unknown department 'nodept'" in unknown.stderr


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_production_backend_refuses_while_a_development_key_is_valid(
    database_url: str, tmp_path: Path
) -> None:
    servers.run_module("backend", "dev-keys", DATABASE_URL=database_url)
    servers.run_module("backend", "revoke-key", "--key", "dev-admin-key", DATABASE_URL=database_url)
    refused = servers.run_process("backend", "serve", **production_env(DATABASE_URL=database_url))
    assert refused.returncode == 2
    assert "development department keys are valid: dev-dindik-key" in refused.stderr
    assert "dev-admin-key" not in refused.stderr  # revoked above
    engine = create_engine(database_url)
    try:
        for department in _departments():
            await keys.revoke_department(engine, department)
    finally:
        await engine.dispose()
    # Nothing development left: production starts.
    env = {"APP_ENV": "production", "PIPELINE_SOURCE": "pika", **FIT_SECRETS}
    env["EMERGENCY_SUPERVISOR_PHONE"] = "+6281234500112"
    del env["OPEN311_API_KEY"]  # start_backend sets it
    server = servers.start_backend(database_url, tmp_path, api_key=API_KEY, extra_env=env)
    server.stop()
    assert "backend settings: APP_ENV=production" in server.log.read_text()


def test_production_needs_the_public_webhook_url_once_the_112_number_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = production_env(TWILIO_VOICE_FROM="+62354112112")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="TWILIO_WEBHOOK_BASE_URL is not set: the 112 voice"):
        BackendSettings.load().check_production()
    monkeypatch.setenv("TWILIO_WEBHOOK_BASE_URL", "https://lapor.kedirikota.go.id")
    BackendSettings.load().check_production()

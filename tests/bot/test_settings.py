"""The Rasa server's settings, `python -m bot`'s `rasa run` command line, and its refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from bot.__main__ import rasa_arguments
from bot.channels.whatsapp import WhatsAppInput
from bot.settings import BotSettings, get_settings
from lapor.paths import REPO_ROOT
from lapor.settings import (
    DEVELOPMENT_API_KEY,
    DEVELOPMENT_CONTACT_KEY,
    DEVELOPMENT_RASA_TOKEN,
    ConfigError,
)
from tests import servers
from tests.settings_env import FIT_SECRETS, assert_refuses_to_start, isolated

MODEL = Path("models/lapor-test.tar.gz")


clean_environment = isolated(BotSettings, get_settings)


def production_env(**overrides: str) -> Dict[str, str]:
    return {
        "APP_ENV": "production",
        **FIT_SECRETS,
        **overrides,
    }


def test_development_defaults() -> None:
    settings = BotSettings.load()
    assert (settings.open311_api_key, settings.rasa_token, settings.contact_key) == (
        DEVELOPMENT_API_KEY,
        DEVELOPMENT_RASA_TOKEN,
        DEVELOPMENT_CONTACT_KEY,
    )
    assert settings.rasa_port == 5005
    assert settings.model is None
    assert settings.action_endpoint_url == "http://localhost:5055/webhook"


def test_every_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "TWILIO_ACCOUNT_SID": "AC123",
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_WHATSAPP_FROM": "+14155238886",
        "TWILIO_API_BASE": "http://127.0.0.1:9999/",
        "TWILIO_WEBHOOK_BASE_URL": "https://lapor.kedirikota.go.id/",
        "TWILIO_STATUS_CALLBACK_URL": "https://lapor.kedirikota.go.id/webhooks/whatsapp/status",
        "TWILIO_TEMPLATES": '{"ticket_status": "HX1"}',
        "MAX_PHOTO_BYTES": "2097152",
        "REDIS_URL": "redis://redis:6379/0",
        "BACKEND_URL": "http://backend:8000/",
        "RASA_PORT": "5006",
        "RASA_MODEL": "models/x.tar.gz",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = BotSettings.load()
    assert settings.twilio_api_base == "http://127.0.0.1:9999"
    assert settings.twilio_webhook_base_url == "https://lapor.kedirikota.go.id"
    assert settings.twilio_templates == {"ticket_status": "HX1"}
    assert settings.backend_url == "http://backend:8000"
    assert (settings.rasa_port, settings.model) == (5006, Path("models/x.tar.gz"))
    assert settings.max_photo_bytes == 2097152


def test_the_whatsapp_channel_rasa_builds_uses_the_process_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setenv("TWILIO_WHATSAPP_FROM", "+14155238886")
    monkeypatch.setenv("TWILIO_WEBHOOK_BASE_URL", "https://lapor.kedirikota.go.id")
    monkeypatch.setenv("MAX_PHOTO_BYTES", "2097152")
    channel = WhatsAppInput.from_credentials(None)
    assert isinstance(channel, WhatsAppInput)
    assert channel.config.configured
    assert channel.config.whatsapp_from == "whatsapp:+14155238886"
    # The one photo limit: what the channel fetches is what the backend accepts.
    assert channel.config.max_media_bytes == 2097152
    assert channel.public_base_url == "https://lapor.kedirikota.go.id"


def test_rasa_runs_with_the_project_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_PORT", "5099")
    monkeypatch.setenv("RASA_TOKEN", "my-token")
    arguments = rasa_arguments(BotSettings.load(), MODEL)
    assert arguments == [
        "run",
        "--model",
        str(MODEL),
        "--endpoints",
        str(REPO_ROOT / "endpoints.yml"),
        "--credentials",
        str(REPO_ROOT / "bot" / "credentials.yml"),
        "--interface",
        "127.0.0.1",
        "--port",
        "5099",
        "--enable-api",
        "--auth-token",
        "my-token",
        # Browsers may call it only from the widget's sites (here: the demo page).
        "--cors",
        "http://localhost:8000",
        "http://127.0.0.1:8000",
    ]


def test_the_bind_address_and_widget_sites_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_HOST", "0.0.0.0")
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", "https://kedirikota.go.id/, https://lapor.go.id")
    arguments = rasa_arguments(BotSettings.load(), MODEL)
    assert arguments[arguments.index("--interface") + 1] == "0.0.0.0"
    assert arguments[arguments.index("--cors") :] == [
        "--cors",
        "https://kedirikota.go.id",
        "https://lapor.go.id",
    ]


def test_production_uses_the_production_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in production_env().items():
        monkeypatch.setenv(name, value)
    settings = BotSettings.load()
    settings.check_production()
    arguments = rasa_arguments(settings, MODEL)
    assert arguments[arguments.index("--endpoints") + 1] == str(
        REPO_ROOT / "endpoints.production.yml"
    )


def test_production_check_wants_the_twilio_token_once_whatsapp_is_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in production_env(TWILIO_ACCOUNT_SID="AC" + "0" * 32).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN is not set"):
        BotSettings.load().check_production()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CONTACT_KEY", DEVELOPMENT_CONTACT_KEY),  # a development secret
        ("RASA_TOKEN", "short-but-not-development"),  # a short secret
        ("OPEN311_API_KEY", ""),  # unset: its development value
    ],
)
def test_production_rasa_server_refuses_to_start(variable: str, value: str) -> None:
    assert_refuses_to_start("bot", variable=variable, env=production_env(**{variable: value}))


def test_a_missing_model_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "none.tar.gz"
    result = servers.run_process("bot", "--model", str(missing))
    assert result.returncode == 2
    assert f"no trained model at {missing}" in result.stderr

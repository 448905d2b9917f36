"""The settings base: development defaults, masking, and what production refuses."""

from __future__ import annotations

import logging
from typing import Iterator

import pytest
from cryptography.fernet import Fernet

from lapor.settings import (
    DEFAULT_MAX_PHOTO_BYTES,
    DEVELOPMENT_API_KEY,
    DEVELOPMENT_CONTACT_KEY,
    AppSettings,
    ConfigError,
    WhatsAppSettings,
    database,
    development_department_key,
    mask,
    secret,
    without_password,
)

STRONG = "s" * 32
CONTACT_KEY = Fernet.generate_key().decode()


class Example(WhatsAppSettings):
    """A process with one secret always needed and one database."""

    api_key: str = secret(DEVELOPMENT_API_KEY, "EXAMPLE_API_KEY")
    database_url: str = database("sqlite:///var/x.sqlite3", "EXAMPLE_DATABASE_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only what a test sets is in the environment."""
    for name in Example.__fields__:
        monkeypatch.delenv(Example.env_name(name), raising=False)
    yield


def production(monkeypatch: pytest.MonkeyPatch, **env: str) -> Example:
    fit = {
        "APP_ENV": "production",
        "EXAMPLE_API_KEY": STRONG,
        "EXAMPLE_DATABASE_URL": "postgresql://lapor@db/lapor",
        "CONTACT_KEY": CONTACT_KEY,
        "REDIS_URL": "redis://redis:6379/0",
        **env,
    }
    for name, value in fit.items():
        monkeypatch.setenv(name, value)
    return Example.load()


def refusal(settings: Example) -> str:
    with pytest.raises(ConfigError) as refused:
        settings.check_production()
    return str(refused.value)


def test_nothing_configured_is_a_runnable_development_process() -> None:
    settings = Example.load()
    assert not settings.production
    assert settings.api_key == DEVELOPMENT_API_KEY
    assert settings.contact_key == DEVELOPMENT_CONTACT_KEY
    assert settings.max_photo_bytes == DEFAULT_MAX_PHOTO_BYTES
    settings.check_production()  # development accepts its own defaults


def test_a_fit_production_configuration_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = production(monkeypatch)
    assert settings.production
    settings.check_production()


def test_production_refuses_an_unset_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMPLE_API_KEY", raising=False)
    settings = production(monkeypatch, EXAMPLE_API_KEY="")
    assert "EXAMPLE_API_KEY is not set" in refusal(settings)


def test_production_refuses_a_development_value(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = production(monkeypatch, EXAMPLE_API_KEY=DEVELOPMENT_API_KEY)
    assert "EXAMPLE_API_KEY is a development value" in refusal(settings)


def test_production_refuses_another_secrets_development_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = production(monkeypatch, CONTACT_KEY=DEVELOPMENT_CONTACT_KEY)
    assert "CONTACT_KEY is a development value" in refusal(settings)


def test_production_refuses_a_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = production(monkeypatch, EXAMPLE_API_KEY="s" * 31)
    assert "EXAMPLE_API_KEY is shorter than 32 characters" in refusal(settings)


@pytest.mark.parametrize("url", ["sqlite:///var/lapor.sqlite3", "sqlite+aiosqlite:///x.db"])
def test_production_refuses_sqlite(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    settings = production(monkeypatch, EXAMPLE_DATABASE_URL=url)
    assert "EXAMPLE_DATABASE_URL is SQLite" in refusal(settings)


def test_production_refuses_the_sqlite_default(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = production(monkeypatch, EXAMPLE_DATABASE_URL="")
    assert "EXAMPLE_DATABASE_URL is not set (the SQLite default is refused)" in refusal(settings)


def test_every_problem_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = production(
        monkeypatch, EXAMPLE_API_KEY="short", EXAMPLE_DATABASE_URL="sqlite:///x.db"
    )
    message = refusal(settings)
    assert message.startswith("APP_ENV=production refuses to start: ")
    assert "EXAMPLE_API_KEY" in message and "EXAMPLE_DATABASE_URL" in message


def test_twilio_secrets_count_only_once_whatsapp_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production(monkeypatch).check_production()  # no Twilio at all: nothing to check
    settings = production(monkeypatch, TWILIO_ACCOUNT_SID="AC" + "0" * 32)
    assert "TWILIO_AUTH_TOKEN is not set" in refusal(settings)
    production(monkeypatch, TWILIO_AUTH_TOKEN="t" * 32).check_production()


def test_a_contact_key_that_is_not_a_fernet_key_is_refused_everywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONTACT_KEY", "k" * 40)
    with pytest.raises(ConfigError, match="CONTACT_KEY: is not a valid Fernet key"):
        Example.load()


def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_PHOTO_BYTES", "five megabytes")
    with pytest.raises(ConfigError, match="MAX_PHOTO_BYTES"):
        Example.load()
    monkeypatch.setenv("MAX_PHOTO_BYTES", "1024")
    monkeypatch.setenv("TWILIO_TEMPLATES", "{not json")
    with pytest.raises(ConfigError, match="TWILIO_TEMPLATES"):
        Example.load()


def test_a_mistyped_app_env_is_refused_not_taken_for_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "prod")
    with pytest.raises(ConfigError, match="APP_ENV: must be development or production"):
        Example.load()


def test_a_blank_variable_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_API_KEY", "")
    monkeypatch.setenv("TWILIO_TEMPLATES", " ")
    settings = Example.load()
    assert settings.api_key == DEVELOPMENT_API_KEY
    assert settings.twilio_templates == {}


def test_json_and_numbers_are_read_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_TEMPLATES", '{"ticket_status": "HX123"}')
    monkeypatch.setenv("MAX_PHOTO_BYTES", "1048576")
    settings = Example.load()
    assert settings.twilio_templates == {"ticket_status": "HX123"}
    assert settings.max_photo_bytes == 1048576


def test_describe_masks_every_secret_and_url_password(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = production(
        monkeypatch,
        TWILIO_AUTH_TOKEN="tokentokentokentokentokentoken12",
        REDIS_URL="redis://:hunter2@redis:6379/0",
        EXAMPLE_DATABASE_URL="postgresql://lapor:pw-in-url@db/lapor",
    )
    text = "\n".join(settings.describe())
    for secret_value in (STRONG, CONTACT_KEY, "tokentoken", "hunter2", "pw-in-url"):
        assert secret_value not in text
    assert "EXAMPLE_API_KEY=ss***" in text
    assert "REDIS_URL=redis://:***@redis:6379/0" in text
    assert "EXAMPLE_DATABASE_URL=postgresql://lapor:***@db/lapor" in text
    assert "APP_ENV=production" in text


def test_describe_says_which_values_are_development_ones() -> None:
    lines = Example.load().describe()
    assert "EXAMPLE_API_KEY=(development value)" in lines
    assert "CONTACT_KEY=(development value)" in lines
    assert "TWILIO_AUTH_TOKEN=(not set)" in lines


def test_announce_is_one_line_and_names_the_development_defaults(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="lapor.settings"):
        Example.load().announce("example")
    settings_line, defaults_line = (r.getMessage() for r in caplog.records)
    assert settings_line.startswith("example settings: APP_ENV=development")
    assert "\n" not in settings_line
    assert defaults_line == (
        "example runs on development defaults for CONTACT_KEY, EXAMPLE_API_KEY, "
        "EXAMPLE_DATABASE_URL, REDIS_URL (production refuses them)"
    )


def test_announce_in_production_is_the_settings_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lapor.settings"):
        production(monkeypatch).announce("example")
    assert len(caplog.records) == 1


def test_settings_are_read_only_once_loaded() -> None:
    settings = AppSettings.load()
    with pytest.raises(TypeError):
        settings.app_env = "production"


def test_masking_and_url_helpers() -> None:
    assert mask("") == "(not set)"
    assert mask(DEVELOPMENT_CONTACT_KEY) == "(development value)"
    assert mask("abcdef") == "ab***"
    assert without_password("postgresql://db/lapor") == "postgresql://db/lapor"
    assert development_department_key("dishub") == "dev-dishub-key"
    assert development_department_key("admin") == "dev-admin-key"

"""The Rasa server's settings, loaded once per process.

`python -m bot` loads and checks them before Rasa starts; the classes Rasa
loads itself (the WhatsApp channel) read the same object via `get_settings()`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import Field, validator

from lapor.settings import (
    DEVELOPMENT_API_KEY,
    DEVELOPMENT_RASA_TOKEN,
    WhatsAppSettings,
    secret,
)


class BotSettings(WhatsAppSettings):
    rasa_port: int = Field(5005, env="RASA_PORT")
    # Token of Rasa's HTTP API (the action server's outbox and the staff tools use it).
    rasa_token: str = secret(DEVELOPMENT_RASA_TOKEN, "RASA_TOKEN")
    # The trained model; unset: the one scripts/model-name.sh names for the current data.
    model: Optional[Path] = Field(None, env="RASA_MODEL")
    # Where Rasa calls the action server (endpoints*.yml read it from the environment).
    action_endpoint_url: str = Field("http://localhost:5055/webhook", env="ACTION_ENDPOINT_URL")
    # The public base URL Twilio calls: needed behind a TLS proxy, as Twilio signs it.
    twilio_webhook_base_url: Optional[str] = Field(None, env="TWILIO_WEBHOOK_BASE_URL")
    # Where the WhatsApp channel stores citizens' photos (the backend's media API).
    backend_url: str = Field("http://localhost:8000", env="BACKEND_URL")
    open311_api_key: str = secret(DEVELOPMENT_API_KEY, "OPEN311_API_KEY")

    @validator("backend_url", "twilio_webhook_base_url")
    def _no_trailing_slash(cls, value: Optional[str]) -> Optional[str]:
        return value.rstrip("/") if value else value


@lru_cache(maxsize=1)
def get_settings() -> BotSettings:
    """This process's settings, read from the environment the first time only."""
    return BotSettings.load()

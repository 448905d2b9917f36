"""The backend's settings, loaded once by `python -m backend` and passed down.

The defaults make `make run` work with nothing configured; production
(`APP_ENV=production`) must name its database and secrets (lapor/settings.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Tuple

from pydantic import Field, validator

from lapor.paths import GAZETTEER_FILE, SERVICES_FILE
from lapor.settings import (
    DEFAULT_DATABASE_URL,
    DEVELOPMENT_API_KEY,
    DEVELOPMENT_RASA_TOKEN,
    WhatsAppSettings,
    database,
    secret,
)

DEFAULT_JURISDICTION_ID = "kedirikota.go.id"


class BackendSettings(WhatsAppSettings):
    database_url: str = database(DEFAULT_DATABASE_URL, "DATABASE_URL")
    # The key Open311 clients (the chat channels) send to create requests.
    open311_api_key: str = secret(DEVELOPMENT_API_KEY, "OPEN311_API_KEY")
    jurisdiction_id: str = Field(DEFAULT_JURISDICTION_ID, env="OPEN311_JURISDICTION_ID")
    services_file: Path = Field(SERVICES_FILE, env="SERVICES_FILE")
    gazetteer_file: Path = Field(GAZETTEER_FILE, env="GAZETTEER_FILE")
    host: str = Field("0.0.0.0", env="BACKEND_HOST")
    port: int = Field(8000, env="BACKEND_PORT")
    workers: int = Field(1, env="BACKEND_WORKERS", ge=1)
    # Tickets one account (a chat sender) may create per rolling hour; 0 = no limit.
    max_tickets_per_hour: int = Field(5, env="MAX_TICKETS_PER_HOUR", ge=0)
    rasa_port: int = Field(5005, env="RASA_PORT")
    # The Rasa server's HTTP API, where messages the city sends are recorded in
    # the citizen's conversation; unset: localhost on RASA_PORT.
    rasa_url: str = Field("", env="RASA_URL")
    rasa_token: str = secret(DEVELOPMENT_RASA_TOKEN, "RASA_TOKEN")
    # Where browsers reach the Rasa server (the /chat test page talks to it);
    # unset: localhost on RASA_PORT.
    rasa_public_url: str = Field("", env="RASA_PUBLIC_URL")
    # Where the outside world reaches this backend (links to stored photos);
    # unset: localhost on BACKEND_PORT.
    public_url: str = Field("", env="BACKEND_PUBLIC_URL")
    # Seconds between sends of queued status notices.
    notify_interval: float = Field(10.0, env="NOTIFY_INTERVAL", gt=0)
    # Sites that may embed the chat widget (CORS for its uploads), comma separated; "*" = any.
    widget_allowed_origins: str = Field("*", env="WIDGET_ALLOWED_ORIGINS")

    @validator("rasa_url", always=True)
    def _rasa_api_on_localhost(cls, value: str, values: Dict[str, Any]) -> str:
        return value.rstrip("/") or f"http://localhost:{values.get('rasa_port', 5005)}"

    @validator("rasa_public_url", always=True)
    def _rasa_on_localhost(cls, value: str, values: Dict[str, Any]) -> str:
        return value.rstrip("/") or f"http://localhost:{values.get('rasa_port', 5005)}"

    @validator("public_url", always=True)
    def _backend_on_localhost(cls, value: str, values: Dict[str, Any]) -> str:
        return value.rstrip("/") or f"http://localhost:{values.get('port', 8000)}"

    @property
    def widget_origins(self) -> Tuple[str, ...]:
        return tuple(o.strip() for o in self.widget_allowed_origins.split(",") if o.strip())

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
    DEFAULT_BIND,
    DEFAULT_DATABASE_URL,
    DEFAULT_WIDGET_ORIGINS,
    DEVELOPMENT_API_KEY,
    DEVELOPMENT_RASA_TOKEN,
    MiB,
    WhatsAppSettings,
    database,
    origins,
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
    host: str = Field(DEFAULT_BIND, env="BACKEND_HOST")
    port: int = Field(8000, env="BACKEND_PORT")
    workers: int = Field(1, env="BACKEND_WORKERS", ge=1)
    # Tickets one account (a chat sender) may create per clock hour; 0 = no limit.
    max_tickets_per_hour: int = Field(5, env="MAX_TICKETS_PER_HOUR", ge=0)
    # How many reverse proxies (HAProxy) stand in front of the backend: their
    # X-Forwarded-For entries are trusted for the client's address, no others.
    proxies_count: int = Field(0, env="BACKEND_PROXIES_COUNT", ge=0)
    rasa_port: int = Field(5005, env="RASA_PORT")
    # The Rasa server's HTTP API, where messages the city sends are recorded in
    # the citizen's conversation; unset: localhost on RASA_PORT.
    rasa_url: str = Field("", env="RASA_URL")
    rasa_token: str = secret(DEVELOPMENT_RASA_TOKEN, "RASA_TOKEN")
    # Where browsers reach the Rasa server (the widget on the demo page talks to it);
    # unset: localhost on RASA_PORT.
    rasa_public_url: str = Field("", env="RASA_PUBLIC_URL")
    # Where the outside world reaches this backend (links to stored photos);
    # unset: localhost on BACKEND_PORT.
    public_url: str = Field("", env="BACKEND_PUBLIC_URL")
    # Seconds between sends of queued status notices.
    notify_interval: float = Field(10.0, env="NOTIFY_INTERVAL", gt=0)
    # Sites that may embed the chat widget (CORS for its uploads), comma separated.
    widget_allowed_origins: str = Field(DEFAULT_WIDGET_ORIGINS, env="WIDGET_ALLOWED_ORIGINS")
    # Photos are decoded and re-encoded (backend/media.py): larger ones are refused
    # (decompression bombs), longer sides are scaled down to save space.
    max_photo_pixels: int = Field(40_000_000, env="MAX_PHOTO_PIXELS", gt=0)
    photo_max_side: int = Field(2560, env="PHOTO_MAX_SIDE", ge=64)
    # The widget's anonymous uploads (backend/widget.py), per server-issued session
    # and per client address (many citizens share one behind a mobile carrier's
    # NAT: its limits are larger). Attempts per clock hour count refused ones too
    # (each costs a decode); bytes per UTC day count what is stored. 0 = no limit.
    widget_uploads_per_hour: int = Field(10, env="WIDGET_UPLOADS_PER_HOUR", ge=0)
    widget_upload_bytes_per_day: int = Field(20 * MiB, env="WIDGET_UPLOAD_BYTES_PER_DAY", ge=0)
    widget_address_uploads_per_hour: int = Field(100, env="WIDGET_ADDRESS_UPLOADS_PER_HOUR", ge=0)
    widget_address_upload_bytes_per_day: int = Field(
        200 * MiB, env="WIDGET_ADDRESS_UPLOAD_BYTES_PER_DAY", ge=0
    )
    # New widget sessions per client address and clock hour (a fresh session must
    # not be a way around the per-session limits). 0 = no limit.
    widget_sessions_per_hour: int = Field(60, env="WIDGET_SESSIONS_PER_HOUR", ge=0)

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
        return origins(self.widget_allowed_origins)

"""Backend settings, read once from the environment.

Module-level defaults make `make run` work with nothing configured; production
(`APP_ENV=production`) must name its secrets explicitly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Tuple

from lapor.paths import GAZETTEER_FILE, SERVICES_FILE, VAR
from lapor.settings import DEVELOPMENT_API_KEY

DEFAULT_DATABASE_URL = f"sqlite:///{VAR / 'lapor.sqlite3'}"
DEFAULT_SERVICES_FILE = SERVICES_FILE
DEFAULT_GAZETTEER_FILE = GAZETTEER_FILE
DEFAULT_JURISDICTION_ID = "kedirikota.go.id"
DEFAULT_PORT = 8000


class ConfigError(RuntimeError):
    """The environment does not describe a runnable backend."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    open311_api_key: str = DEVELOPMENT_API_KEY
    api_key_is_default: bool = True
    production: bool = False
    jurisdiction_id: str = DEFAULT_JURISDICTION_ID
    services_file: Path = DEFAULT_SERVICES_FILE
    gazetteer_file: Path = DEFAULT_GAZETTEER_FILE
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    workers: int = 1
    # Tickets one account (a chat sender) may create per rolling hour; 0 = no limit.
    max_tickets_per_hour: int = 5
    # Where browsers reach the Rasa server (the /chat test page talks to it).
    rasa_public_url: str = "http://localhost:5005"
    # Where the outside world reaches this backend (links to stored photos).
    public_url: str = "http://localhost:8000"
    # Seconds between sends of queued WhatsApp status notices.
    notify_interval: float = 10.0
    # Sites that may embed the chat widget (CORS for its uploads); "*" = any.
    widget_origins: Tuple[str, ...] = ("*",)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    production = env.get("APP_ENV", "development").lower() == "production"
    api_key = env.get("OPEN311_API_KEY", "").strip()
    if production and not api_key:
        raise ConfigError(
            "OPEN311_API_KEY is not set: production refuses to start with the development key"
        )
    if production and not env.get("CONTACT_KEY", "").strip():
        raise ConfigError("CONTACT_KEY is not set: production refuses the development key")
    database_url = env.get("DATABASE_URL", "").strip()
    if production and not database_url:
        raise ConfigError("DATABASE_URL is not set: production needs its PostgreSQL URL")
    return Settings(
        database_url=database_url or DEFAULT_DATABASE_URL,
        open311_api_key=api_key or DEVELOPMENT_API_KEY,
        api_key_is_default=not api_key,
        production=production,
        jurisdiction_id=env.get("OPEN311_JURISDICTION_ID", DEFAULT_JURISDICTION_ID),
        services_file=Path(env.get("SERVICES_FILE", str(DEFAULT_SERVICES_FILE))),
        gazetteer_file=Path(env.get("GAZETTEER_FILE", str(DEFAULT_GAZETTEER_FILE))),
        host=env.get("BACKEND_HOST", "0.0.0.0"),
        port=_int(env, "BACKEND_PORT", DEFAULT_PORT),
        workers=_int(env, "BACKEND_WORKERS", 1),
        max_tickets_per_hour=_int(env, "MAX_TICKETS_PER_HOUR", 5),
        rasa_public_url=env.get("RASA_PUBLIC_URL")
        or f"http://localhost:{env.get('RASA_PORT', '5005')}",
        public_url=(env.get("BACKEND_PUBLIC_URL") or "").rstrip("/")
        or f"http://localhost:{_int(env, 'BACKEND_PORT', DEFAULT_PORT)}",
        notify_interval=float(env.get("NOTIFY_INTERVAL") or 10),
        widget_origins=tuple(
            o.strip() for o in (env.get("WIDGET_ALLOWED_ORIGINS") or "*").split(",") if o.strip()
        ),
    )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None

"""Action server settings, read from the environment (defaults suit `make run`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

from lapor.paths import VAR
from lapor.settings import DEVELOPMENT_API_KEY

DEFAULT_OUTBOX_URL = f"sqlite:///{VAR / 'outbox.sqlite3'}"


@dataclass(frozen=True)
class ActionSettings:
    backend_url: str = "http://localhost:8000"
    open311_api_key: str = DEVELOPMENT_API_KEY
    # Seconds to wait for the backend before keeping the report in the outbox.
    backend_timeout: float = 8.0
    outbox_url: str = DEFAULT_OUTBOX_URL
    outbox_interval: float = 15.0
    rasa_url: str = "http://localhost:5005"
    rasa_token: Optional[str] = None


def load_settings(environ: Optional[Mapping[str, str]] = None) -> ActionSettings:
    env = os.environ if environ is None else environ
    rasa_port = env.get("RASA_PORT", "5005")
    return ActionSettings(
        backend_url=env.get("BACKEND_URL", "http://localhost:8000").rstrip("/"),
        open311_api_key=env.get("OPEN311_API_KEY") or DEVELOPMENT_API_KEY,
        backend_timeout=float(env.get("BACKEND_TIMEOUT", "8")),
        outbox_url=env.get("OUTBOX_DATABASE_URL") or DEFAULT_OUTBOX_URL,
        outbox_interval=float(env.get("OUTBOX_INTERVAL", "15")),
        rasa_url=env.get("RASA_URL", f"http://localhost:{rasa_port}").rstrip("/"),
        rasa_token=env.get("RASA_TOKEN") or None,
    )

"""The action server's settings, loaded once per process.

`python -m actions` loads and checks them before serving; the actions, which
rasa_sdk instantiates itself, read the same object via `get_settings()`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List

from pydantic import Field, validator

from lapor.settings import (
    DEFAULT_BIND,
    DEFAULT_OUTBOX_URL,
    DEVELOPMENT_ACTION_TOKEN,
    DEVELOPMENT_API_KEY,
    DEVELOPMENT_RASA_TOKEN,
    AppSettings,
    database,
    secret,
)


class ActionSettings(AppSettings):
    port: int = Field(5055, env="ACTIONS_PORT")
    host: str = Field(DEFAULT_BIND, env="ACTIONS_HOST")
    # Rasa presents it (Authorization: Bearer); calls without it are refused.
    action_server_token: str = secret(DEVELOPMENT_ACTION_TOKEN, "ACTION_SERVER_TOKEN")
    backend_url: str = Field("http://localhost:8000", env="BACKEND_URL")
    # The backend as browsers see it: photo links in reports start with it.
    backend_public_url: str = Field("", env="BACKEND_PUBLIC_URL")
    open311_api_key: str = secret(DEVELOPMENT_API_KEY, "OPEN311_API_KEY")
    # Seconds to wait for the backend before keeping the report in the outbox.
    backend_timeout: float = Field(8.0, env="BACKEND_TIMEOUT", gt=0)
    # Reports kept while the backend is down; shared by every action server replica.
    outbox_url: str = database(DEFAULT_OUTBOX_URL, "OUTBOX_DATABASE_URL")
    outbox_interval: float = Field(15.0, env="OUTBOX_INTERVAL", gt=0)
    # Seconds an emergency turn waits for the backend: short, because the
    # citizen's 112 call instruction goes out only when the action returns.
    incident_timeout: float = Field(2.0, env="INCIDENT_TIMEOUT", gt=0)
    # How often kept incidents and their updates are retried.
    incident_interval: float = Field(5.0, env="INCIDENT_INTERVAL", gt=0)
    rasa_port: int = Field(5005, env="RASA_PORT")
    # Rasa's HTTP API, told when a kept report was filed; unset: localhost on RASA_PORT.
    rasa_url: str = Field("", env="RASA_URL")
    rasa_token: str = secret(DEVELOPMENT_RASA_TOKEN, "RASA_TOKEN")

    @validator("backend_url")
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @validator("backend_public_url", always=True)
    def _public_backend(cls, value: str, values: Dict[str, Any]) -> str:
        return value.rstrip("/") or str(values.get("backend_url", ""))

    @property
    def backend_urls(self) -> List[str]:
        """Where a photo the backend stored may be linked from."""
        return [self.backend_url, self.backend_public_url]

    @validator("rasa_url", always=True)
    def _rasa_on_localhost(cls, value: str, values: Dict[str, Any]) -> str:
        return value.rstrip("/") or f"http://localhost:{values.get('rasa_port', 5005)}"


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    """This process's settings, read from the environment the first time only."""
    return ActionSettings.load()

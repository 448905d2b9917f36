"""The Rasa server's settings, loaded once per process.

`python -m bot` loads and checks them before Rasa starts; the classes Rasa
loads itself (the WhatsApp channel) read the same object via `get_settings()`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from pydantic import Field, validator

from lapor.paths import REPO_ROOT, VAR
from lapor.settings import (
    DEFAULT_BIND,
    DEFAULT_WIDGET_ORIGINS,
    DEVELOPMENT_ACTION_TOKEN,
    DEVELOPMENT_API_KEY,
    DEVELOPMENT_EDITOR_TOKEN,
    DEVELOPMENT_RASA_TOKEN,
    DEVELOPMENT_REST_TOKEN,
    WhatsAppSettings,
    origins,
    secret,
)


class BotSettings(WhatsAppSettings):
    rasa_port: int = Field(5005, env="RASA_PORT")
    # The interface Rasa listens on; 0.0.0.0 only behind a proxy that needs it.
    host: str = Field(DEFAULT_BIND, env="RASA_HOST")
    # Token of Rasa's HTTP API (the action server's outbox and the staff tools use it).
    rasa_token: str = secret(DEVELOPMENT_RASA_TOKEN, "RASA_TOKEN")
    # Bearer token of the REST channel (server-side clients only: tests, benchmarks).
    rest_channel_token: str = secret(DEVELOPMENT_REST_TOKEN, "REST_CHANNEL_TOKEN")
    # Sent to the action server with every call (it refuses calls without it).
    action_server_token: str = secret(DEVELOPMENT_ACTION_TOKEN, "ACTION_SERVER_TOKEN")
    # Sites whose pages may call the Rasa server (the widget), comma separated.
    widget_allowed_origins: str = Field(DEFAULT_WIDGET_ORIGINS, env="WIDGET_ALLOWED_ORIGINS")
    # The trained model; unset: the one scripts/model-name.sh names for the current data.
    model: Optional[Path] = Field(None, env="RASA_MODEL")
    # Where Rasa calls the action server (endpoints*.yml read it from the environment).
    action_endpoint_url: str = Field("http://localhost:5055/webhook", env="ACTION_ENDPOINT_URL")
    # Where the WhatsApp channel stores citizens' photos (the backend's media API).
    backend_url: str = Field("http://localhost:8000", env="BACKEND_URL")
    # The backend as browsers see it (the widget's photo links); unset: BACKEND_URL.
    backend_public_url: str = Field("", env="BACKEND_PUBLIC_URL")
    open311_api_key: str = secret(DEVELOPMENT_API_KEY, "OPEN311_API_KEY")
    # Rasa's event broker (endpoints*.yml, docs/pipeline.md): the sql broker's
    # SQLite file under `make run` (the backend's RASA_EVENTS_DATABASE_URL reads
    # it), RabbitMQ in production. The password is masked in logs; RabbitMQ's own
    # set-up decides what it must be.
    rasa_events_db: Path = Field(VAR / "events.sqlite3", env="RASA_EVENTS_DB")
    rabbitmq_host: str = Field("localhost", env="RABBITMQ_HOST")
    rabbitmq_port: int = Field(5672, env="RABBITMQ_PORT")
    rabbitmq_username: str = Field("guest", env="RABBITMQ_USERNAME")
    rabbitmq_password: str = secret("guest", "RABBITMQ_PASSWORD", feature="rabbitmq")
    rabbitmq_queue: str = Field("rasa_events", env="RABBITMQ_QUEUE")
    # The fanout exchange the queue is bound to (one per installation on a RabbitMQ).
    rabbitmq_exchange: str = Field("rasa-exchange", env="RABBITMQ_EXCHANGE")
    # Rasa's Redis tracker and lock stores (endpoints.production.yml). An empty
    # password sends none (a Redis reachable only inside the city's network).
    redis_host: str = Field("localhost", env="REDIS_HOST")
    redis_port: int = Field(6379, env="REDIS_PORT")
    redis_password: str = Field("", env="REDIS_PASSWORD")
    # A conversation at rest whose session holds more events than this starts a
    # new one, every slot carried over (bot/sessions.py); 0 turns that off.
    session_max_events: int = Field(100, env="SESSION_MAX_EVENTS", ge=0)
    # A WhatsApp message whose replica died mid-turn is run by another replica
    # once its hold lapses (renewed every third of it while the turn runs); the
    # replicas look for such messages every WHATSAPP_RECOVER_SECONDS.
    whatsapp_lease_seconds: int = Field(60, env="WHATSAPP_LEASE_SECONDS", ge=3)
    whatsapp_recover_seconds: float = Field(15.0, env="WHATSAPP_RECOVER_SECONDS", gt=0)

    # The model server (the backend's /editor/v1/model): set, every replica
    # pulls the model the editors deployed, every MODEL_PULL_SECONDS, keeping
    # conversations across the swap; unset, Rasa serves the local model file.
    model_server_url: str = Field("", env="MODEL_SERVER_URL")
    model_pull_seconds: int = Field(10, env="MODEL_PULL_SECONDS", ge=1)
    # The trainer worker (`python -m bot nlu train`): the backend it works for,
    # the token both present, the training data's git working copy (the one
    # the backend commits to) and, for tests only, another pipeline config.
    editor_token: str = secret(DEVELOPMENT_EDITOR_TOKEN, "EDITOR_TOKEN")
    nlu_data_repo: Path = Field(REPO_ROOT, env="NLU_DATA_REPO")
    trainer_config: Optional[Path] = Field(None, env="TRAINER_CONFIG")
    trainer_poll_seconds: float = Field(5.0, env="TRAINER_POLL_SECONDS", gt=0)

    @validator("backend_url")
    def _no_trailing_slash(cls, value: Optional[str]) -> Optional[str]:
        return value.rstrip("/") if value else value

    @validator("backend_public_url", always=True)
    def _public_backend(cls, value: str, values: Dict[str, Any]) -> str:
        return value.rstrip("/") or str(values.get("backend_url", ""))

    @property
    def widget_origins(self) -> Tuple[str, ...]:
        return origins(self.widget_allowed_origins)


@lru_cache(maxsize=1)
def get_settings() -> BotSettings:
    """This process's settings, read from the environment the first time only."""
    return BotSettings.load()

"""Settings: one typed class per process, all standing on `AppSettings`.

Each process loads its settings once at start (`load()`), logs them with every
secret masked (`announce()`), and with `APP_ENV=production` refuses to start on
a configuration that is only good for development (`check_production()`).
With nothing configured the development values below apply, so `make run`
works on a fresh checkout; they are named in the README and production
refuses every one of them.

A subclass declares its secrets with `secret(default, env, feature)`: the
secret is checked in production only while its feature is enabled (see
`features()`), e.g. the Twilio token only once WhatsApp is configured. Its
databases are declared with `database(default, env)`: production refuses
SQLite.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from typing import Any, Dict, List, NamedTuple, Optional, Set, Type, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseSettings, Field, ValidationError, root_validator, validator
from pydantic.env_settings import SettingsError

from lapor.paths import VAR

logger = logging.getLogger(__name__)

MiB = 1024 * 1024

# The development value of every secret, named in the README; never accepted
# in production.
DEVELOPMENT_API_KEY = "dev-open311-key"
DEVELOPMENT_RASA_TOKEN = "dev-rasa-token"
# The REST channel's token (server-side clients: tests, benchmarks) and the
# one Rasa presents to the action server.
DEVELOPMENT_REST_TOKEN = "dev-rest-token"
DEVELOPMENT_ACTION_TOKEN = "dev-action-token"
# The trainer worker and the model server's callers (Rasa replicas) show it to the backend.
DEVELOPMENT_EDITOR_TOKEN = "dev-editor-token"
DEVELOPMENT_CONTACT_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"lapor-dev-contact-key").digest()
).decode()
DEVELOPMENT_SECRETS = frozenset(
    {
        DEVELOPMENT_API_KEY,
        DEVELOPMENT_RASA_TOKEN,
        DEVELOPMENT_CONTACT_KEY,
        DEVELOPMENT_REST_TOKEN,
        DEVELOPMENT_ACTION_TOKEN,
        DEVELOPMENT_EDITOR_TOKEN,
    }
)


def development_department_key(department: str) -> str:
    """The staff API key `python -m backend dev-keys` gives a department ('admin' too)."""
    return f"dev-{department}-key"


DEVELOPMENT = "development"
PRODUCTION = "production"
MIN_SECRET_LENGTH = 32
# One limit for every photo a citizen sends, whichever channel it came through.
DEFAULT_MAX_PHOTO_BYTES = 5 * MiB
DEFAULT_DATABASE_URL = f"sqlite:///{VAR / 'lapor.sqlite3'}"
DEFAULT_OUTBOX_URL = f"sqlite:///{VAR / 'outbox.sqlite3'}"
DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"
# Servers listen on this machine only unless told otherwise (HOST settings).
DEFAULT_BIND = "127.0.0.1"
# The sites that may embed the chat widget: under `make run`, the backend's own
# demo page. Production names the city's sites (WIDGET_ALLOWED_ORIGINS).
DEFAULT_WIDGET_ORIGINS = "http://localhost:8000,http://127.0.0.1:8000"


def origins(value: str) -> tuple[str, ...]:
    """'https://a, https://b' -> ('https://a', 'https://b')."""
    return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())


# Features a secret can belong to (see AppSettings.features).
ALWAYS = "always"
WHATSAPP = "whatsapp"


class ConfigError(RuntimeError):
    """The environment does not describe a process that may start."""


def secret(default: str, env: str, feature: str = ALWAYS) -> Any:
    """A secret field: masked in `describe()`, and in production required while
    `feature` is enabled, not a development value, and at least 32 characters."""
    return Field(default, env=env, secret_of=feature)


def database(default: str, env: str) -> Any:
    """A database URL field: production refuses SQLite (one file, one machine)."""
    return Field(default, env=env, database=True)


class Problem(NamedTuple):
    variable: str
    reason: str

    def __str__(self) -> str:
        return f"{self.variable} {self.reason}"


S = TypeVar("S", bound="AppSettings")


class AppSettings(BaseSettings):
    app_env: str = Field(DEVELOPMENT, env="APP_ENV")
    max_photo_bytes: int = Field(DEFAULT_MAX_PHOTO_BYTES, env="MAX_PHOTO_BYTES", gt=0)

    class Config:
        case_sensitive = True  # the variables are documented in upper case
        allow_mutation = False  # loaded once at start, then only read

        @classmethod
        def parse_env_var(cls, field_name: str, raw_val: str) -> Any:
            # A blank JSON variable is unset, like every other blank variable.
            return json.loads(raw_val) if raw_val.strip() else raw_val

    @root_validator(pre=True)
    def _blank_is_unset(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        # `VAR=` in a shell or a compose file means "not set": the default applies.
        return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}

    @validator("app_env")
    def _known_app_env(cls, value: str) -> str:
        # A typo such as "prod" must not quietly run a development configuration.
        value = value.strip().lower()
        if value not in (DEVELOPMENT, PRODUCTION):
            raise ValueError(f"must be {DEVELOPMENT} or {PRODUCTION}")
        return value

    @classmethod
    def load(cls: Type[S], **values: Any) -> S:
        """Reads the environment (`values` win over it); ConfigError names a bad variable."""
        try:
            return cls(**values)
        except SettingsError as exc:  # a JSON variable that is not JSON
            raise ConfigError(str(exc)) from None
        except ValidationError as exc:
            raise ConfigError("; ".join(_explain(cls, exc))) from None

    @classmethod
    def env_name(cls, field: str) -> str:
        return str(cls.__fields__[field].field_info.extra.get("env", field.upper()))

    @property
    def production(self) -> bool:
        return self.app_env == PRODUCTION

    def features(self) -> Set[str]:
        """The enabled features whose secrets production checks; subclasses add theirs."""
        return {ALWAYS}

    def describe(self) -> List[str]:
        """`NAME=value` per setting, secrets masked and URL passwords hidden: fit for logs."""
        return [f"{self.env_name(name)}={self._shown(name)}" for name in self.__fields__]

    def production_problems(self) -> List[Problem]:
        """What production would refuse in these settings (development ones included)."""
        enabled = self.features()
        problems: List[Problem] = []
        for name, field in self.__fields__.items():
            if field.field_info.extra.get("secret_of") in enabled:
                problems += self._secret_problems(name)
            if field.field_info.extra.get("database"):
                problems += self._database_problems(name)
        return problems

    def check_production(self) -> None:
        """In production, raises ConfigError naming every variable that is not fit for it."""
        problems = self.production_problems() if self.production else []
        if problems:
            listed = "; ".join(str(p) for p in problems)
            raise ConfigError(f"APP_ENV=production refuses to start: {listed}")

    def announce(self, process: str) -> None:
        """Logs the settings on one line, and which development defaults are in use."""
        logger.info("%s settings: %s", process, " ".join(self.describe()))
        if not self.production:
            names = ", ".join(dict.fromkeys(p.variable for p in self.production_problems()))
            if names:
                logger.info(
                    "%s runs on development defaults for %s (production refuses them)",
                    process,
                    names,
                )

    def _secret_problems(self, name: str) -> List[Problem]:
        variable, value = self.env_name(name), str(getattr(self, name) or "")
        if name not in self.__fields_set__:
            development = " (its development value is refused)" if value else ""
            return [Problem(variable, f"is not set{development}")]
        if value in DEVELOPMENT_SECRETS:
            return [Problem(variable, "is a development value")]
        if len(value) < MIN_SECRET_LENGTH:
            return [Problem(variable, f"is shorter than {MIN_SECRET_LENGTH} characters")]
        return []

    def _database_problems(self, name: str) -> List[Problem]:
        variable = self.env_name(name)
        if name not in self.__fields_set__:
            return [Problem(variable, "is not set (the SQLite default is refused)")]
        if is_sqlite(str(getattr(self, name))):
            return [Problem(variable, "is SQLite: production needs PostgreSQL")]
        return []

    def _shown(self, name: str) -> str:
        value = getattr(self, name)
        if self.__fields__[name].field_info.extra.get("secret_of"):
            return mask(str(value or ""))
        if isinstance(value, str) and "://" in value:
            return without_password(value)
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return "" if value is None else str(value)


class WhatsAppSettings(AppSettings):
    """What the WhatsApp channel (bot) and the status notices (backend) both need."""

    twilio_account_sid: str = Field("", env="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str = secret("", "TWILIO_AUTH_TOKEN", feature=WHATSAPP)
    twilio_whatsapp_from: str = Field("", env="TWILIO_WHATSAPP_FROM")
    # The Twilio number voice calls come from (112 call-backs, supervisor alarms).
    twilio_voice_from: str = Field("", env="TWILIO_VOICE_FROM")
    # Another API host (the tests point it at a local fake).
    twilio_api_base: str = Field(DEFAULT_TWILIO_API_BASE, env="TWILIO_API_BASE")
    # Public URL Twilio calls with delivery receipts; unset: no receipts.
    twilio_status_callback_url: Optional[str] = Field(None, env="TWILIO_STATUS_CALLBACK_URL")
    # The public base URL Twilio calls: needed behind a TLS proxy, as Twilio signs it.
    twilio_webhook_base_url: Optional[str] = Field(None, env="TWILIO_WEBHOOK_BASE_URL")
    # Approved templates per message kind, JSON: {"ticket_status": "HX..."}.
    twilio_templates: Dict[str, str] = Field(default_factory=dict, env="TWILIO_TEMPLATES")
    # Shared channel state across replicas; unset: kept in this process only.
    redis_url: Optional[str] = Field(None, env="REDIS_URL")
    # Fernet key that seals phone numbers between the Rasa server and the backend.
    contact_key: str = secret(DEVELOPMENT_CONTACT_KEY, "CONTACT_KEY")

    @validator("twilio_api_base", "twilio_webhook_base_url")
    def _no_trailing_slash(cls, value: Optional[str]) -> Optional[str]:
        return value.rstrip("/") if value else value

    @validator("contact_key")
    def _fernet_key(cls, value: str) -> str:
        from cryptography.fernet import Fernet  # only the processes that seal numbers

        try:
            Fernet(value.encode())
        except ValueError:
            raise ValueError(
                "is not a valid Fernet key (the README says how to make one)"
            ) from None
        return value

    def features(self) -> Set[str]:
        return super().features() | ({WHATSAPP} if self.twilio_account_sid else set())

    def production_problems(self) -> List[Problem]:
        problems = super().production_problems()
        if not self.redis_url:
            # Processed messages, buttons and the 24-hour window would live in
            # one replica's memory: another replica would not see them.
            problems.append(Problem(self.env_name("redis_url"), "is not set (replicas share it)"))
        return problems


def mask(value: str) -> str:
    if not value:
        return "(not set)"
    if value in DEVELOPMENT_SECRETS:
        return "(development value)"
    return f"{value[:2]}***"


def without_password(url: str) -> str:
    """'postgresql://u:pw@h/db' -> 'postgresql://u:***@h/db'."""
    try:
        parts = urlsplit(url)
        if not parts.password:
            return url
    except ValueError:  # not a URL after all: say nothing of it
        return "***"
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def is_sqlite(url: str) -> bool:
    return url.strip().lower().startswith("sqlite")


def _explain(cls: Type[AppSettings], error: ValidationError) -> List[str]:
    explained = []
    for item in error.errors():
        field = str(item["loc"][0])
        name = cls.env_name(field) if field in cls.__fields__ else field
        explained.append(f"{name}: {item['msg']}")
    return explained

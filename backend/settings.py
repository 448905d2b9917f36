"""The backend's settings, loaded once by `python -m backend` and passed down.

The defaults make `make run` work with nothing configured; production
(`APP_ENV=production`) must name its database and secrets (lapor/settings.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Literal, Optional, Tuple

from pydantic import Field, validator

from lapor.paths import (
    AGENCIES_FILE,
    DEADLINES_FILE,
    GAZETTEER_FILE,
    REPO_ROOT,
    SERVICES_FILE,
    VAR,
    VOICE_PROMPTS_FILE,
)
from lapor.settings import (
    DEFAULT_BIND,
    DEFAULT_DATABASE_URL,
    DEFAULT_WIDGET_ORIGINS,
    DEVELOPMENT_API_KEY,
    DEVELOPMENT_EDITOR_TOKEN,
    DEVELOPMENT_RASA_TOKEN,
    MiB,
    Problem,
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
    # Views of the public figures page (/statistik) per client address and clock
    # hour: each is a few aggregate queries, which nobody may repeat without end. 0 = no limit.
    statistik_per_hour: int = Field(120, env="STATISTIK_PER_HOUR", ge=0)

    # The city console (backend/console/): a session ends after this long without a
    # request, and in any case this long after login (a 112 shift is 12 hours).
    console_idle_minutes: int = Field(8 * 60, env="CONSOLE_IDLE_MINUTES", ge=1)
    console_session_hours: int = Field(12, env="CONSOLE_SESSION_HOURS", ge=1)
    # Send the session cookie over HTTPS only; unset: on in production.
    console_secure_cookie: Optional[bool] = Field(None, env="CONSOLE_SECURE_COOKIE")

    # Retention (backend/retention.py, UU 27/2022: personal data is kept only as
    # long as its purpose needs it; the citizens' notice at /privasi shows these).
    # Chat messages: 180 days covers follow-ups, status questions and the
    # editors' and monitoring look back over a season.
    retention_conversation_days: int = Field(180, env="RETENTION_CONVERSATION_DAYS", ge=1)
    # Closed tickets keep the reporter's details a year after closing (a fix
    # that did not hold is reopened, complaints about handling come late); then
    # they are anonymised, the category, kelurahan, dates and status kept for figures.
    retention_ticket_days: int = Field(365, env="RETENTION_TICKET_DAYS", ge=1)
    # Photos show faces, houses and number plates: 90 days after closing is
    # enough to check a reopened complaint. Never longer than the ticket's period.
    retention_media_days: int = Field(90, env="RETENTION_MEDIA_DAYS", ge=1)
    # Who did what in the console: accountability outlives the tickets (2 years).
    retention_audit_days: int = Field(730, env="RETENTION_AUDIT_DAYS", ge=1)
    # Sent or abandoned status notices hold the citizen's number: 90 days is
    # time enough to answer "I was never told".
    retention_notification_days: int = Field(90, env="RETENTION_NOTIFICATION_DAYS", ge=1)
    # A resolved emergency keeps the citizen's number and words this long (for
    # follow-up and complaints), then only its type, place and seconds remain.
    retention_incident_days: int = Field(365, env="RETENTION_INCIDENT_DAYS", ge=1)
    # Seconds between purge runs (each replica runs it; runs are idempotent).
    purge_interval: float = Field(3600.0, env="PURGE_INTERVAL", gt=0)
    # Where citizens exercise their rights (access, correction, deletion), on /privasi.
    privacy_contact: str = Field(
        "kantor Dinas Komunikasi dan Informatika (Diskominfo) Kota Kediri",
        env="PRIVACY_CONTACT",
    )

    # The conversation pipeline (backend/pipeline/, docs/pipeline.md): which of
    # Rasa's event brokers `python -m backend consume` reads. `sql` under
    # `make run` (Rasa writes RASA_EVENTS_DATABASE_URL's table `events`; the bot's
    # RASA_EVENTS_DB names the same SQLite file), `pika` in production (RabbitMQ).
    pipeline_source: Literal["sql", "pika"] = Field("sql", env="PIPELINE_SOURCE")
    rasa_events_database_url: str = Field(
        f"sqlite:///{VAR / 'events.sqlite3'}", env="RASA_EVENTS_DATABASE_URL"
    )
    # RabbitMQ and the durable queue Rasa's pika broker publishes to (RABBITMQ_QUEUE
    # in endpoints.production.yml too); the URL carries the credentials.
    rabbitmq_url: str = Field("amqp://guest:guest@127.0.0.1:5672/", env="RABBITMQ_URL")
    rabbitmq_queue: str = Field("rasa_events", env="RABBITMQ_QUEUE")
    # The fanout exchange Rasa publishes to: the same name on both sides.
    rabbitmq_exchange: str = Field("rasa-exchange", env="RABBITMQ_EXCHANGE")
    # Events stored per transaction (and RabbitMQ's prefetch); seconds between
    # looks at the sql broker's table while it is idle.
    pipeline_batch_size: int = Field(200, env="PIPELINE_BATCH_SIZE", ge=1)
    pipeline_poll_interval: float = Field(0.2, env="PIPELINE_POLL_INTERVAL", gt=0)

    # Emergencies (backend/emergency/, docs/panduan-operator.md): who is
    # dispatched for what; seconds an incident may wait for an operator before
    # it is escalated; the duty supervisor's phone, called when no operator
    # is on duty at all (Twilio Voice, from TWILIO_VOICE_FROM).
    agencies_file: Path = Field(AGENCIES_FILE, env="AGENCIES_FILE")
    emergency_accept_seconds: float = Field(30.0, env="EMERGENCY_ACCEPT_SECONDS", gt=0)
    emergency_supervisor_phone: str = Field("", env="EMERGENCY_SUPERVISOR_PHONE")
    # Seconds between each replica's looks for incidents to escalate and sends to retry.
    emergency_check_interval: float = Field(1.0, env="EMERGENCY_CHECK_INTERVAL", gt=0)

    # Late tickets (backend/deadlines.py): the escalation steps, and seconds
    # between each replica's looks for tickets whose time has come.
    deadlines_file: Path = Field(DEADLINES_FILE, env="DEADLINES_FILE")
    deadline_check_interval: float = Field(300.0, env="DEADLINE_CHECK_INTERVAL", gt=0)

    # The content editors' tool (backend/editor/, docs/panduan-editor.md): the
    # git working copy whose data/nlu they edit (shared by every replica); the
    # confidence below which a citizen's message goes to their inbox; the
    # deploy gate's floor for emergency recall and the largest drop in intent
    # accuracy against the deployed model; the token the trainer worker and
    # the Rasa replicas pulling models present.
    nlu_data_repo: Path = Field(REPO_ROOT, env="NLU_DATA_REPO")
    editor_inbox_confidence: float = Field(0.6, env="EDITOR_INBOX_CONFIDENCE", ge=0, le=1)
    gate_emergency_recall: float = Field(0.98, env="GATE_EMERGENCY_RECALL", ge=0, le=1)
    gate_accuracy_margin: float = Field(0.02, env="GATE_ACCURACY_MARGIN", ge=0, le=1)
    editor_token: str = secret(DEVELOPMENT_EDITOR_TOKEN, "EDITOR_TOKEN")
    # Seconds a training may go without word from its worker before another may take it.
    training_lease_seconds: float = Field(120.0, env="TRAINING_LEASE_SECONDS", gt=0)

    # The 112 voice line (backend/voice/, docs/voice.md): the prompts callers
    # hear; the id-ID voice that speaks them; seconds each prompt listens;
    # the speech confidence below which words are taken for background noise;
    # silent prompts ("tekan 5 dua kali") before a call counts as a ghost call;
    # Twilio's queue names (operators serve the prank queue last); and how
    # many pranks in how many days put a number in the prank queue.
    voice_prompts_file: Path = Field(VOICE_PROMPTS_FILE, env="VOICE_PROMPTS_FILE")
    voice_name: str = Field("Google.id-ID-Standard-A", env="VOICE_NAME")
    voice_listen_seconds: int = Field(5, env="VOICE_LISTEN_SECONDS", ge=1, le=30)
    voice_speech_confidence: float = Field(0.5, env="VOICE_SPEECH_CONFIDENCE", ge=0, le=1)
    voice_silent_prompts: int = Field(2, env="VOICE_SILENT_PROMPTS", ge=1, le=5)
    voice_queue: str = Field("lapor112", env="VOICE_QUEUE", min_length=1, max_length=64)
    voice_prank_queue: str = Field(
        "lapor112-iseng", env="VOICE_PRANK_QUEUE", min_length=1, max_length=64
    )
    voice_prank_limit: int = Field(3, env="VOICE_PRANK_LIMIT", ge=1)
    voice_prank_days: int = Field(30, env="VOICE_PRANK_DAYS", ge=1)

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

    def production_problems(self) -> List[Problem]:
        problems = super().production_problems()
        if self.pipeline_source == "sql" and self.rasa_events_database_url.startswith("sqlite"):
            # One file on one machine: Rasa replicas elsewhere could not write it.
            reason = "is sql on a SQLite file: production reads RabbitMQ (PIPELINE_SOURCE=pika)"
            problems.append(Problem(self.env_name("pipeline_source"), reason))
        if self.twilio_voice_from and not self.twilio_webhook_base_url:
            # Behind HAProxy the backend sees http://backend:8000/..., not the https
            # URL Twilio signed: every 112 call would be refused with 403.
            reason = "is not set: the 112 voice webhooks could not check Twilio's signatures"
            problems.append(Problem(self.env_name("twilio_webhook_base_url"), reason))
        if not self.emergency_supervisor_phone:
            reason = "is not set: nobody is called when an emergency finds no operator on duty"
            problems.append(Problem(self.env_name("emergency_supervisor_phone"), reason))
        return problems

    @property
    def secure_cookie(self) -> bool:
        if self.console_secure_cookie is None:
            return self.production
        return self.console_secure_cookie

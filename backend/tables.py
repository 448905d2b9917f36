"""Database schema (SQLAlchemy Core). Alembic migrations create and change it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    # Human-friendly Open311 service_request_id, e.g. KDR-2026-000123.
    Column("service_request_id", String(32), nullable=False, unique=True),
    Column("service_code", String(64), nullable=False, index=True),
    Column("agency_responsible", String(64), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # Open311: open/closed
    Column("workflow_status", String(16), nullable=False),
    Column("status_notes", Text),
    Column("address", Text),
    Column("address_id", String(128)),
    Column("lat", Float),
    Column("long", Float),
    Column("kelurahan_code", String(16), index=True),
    Column("media_urls", JSON, nullable=False),
    Column("attributes", JSON, nullable=False),
    # Reporter: personal data, never returned by the public API.
    Column("channel", String(32), nullable=False),
    Column("account_id", String(128), index=True),
    Column("phone", String(32)),
    Column("email", String(254)),
    Column("first_name", String(128)),
    Column("last_name", String(128)),
    Column("device_id", String(128)),
    Column("idempotency_key", String(255), unique=True),
    Column("request_fingerprint", String(64)),
    Column("requested_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expected_at", DateTime(timezone=True), nullable=False),
    # Publication: the public API shows a ticket's text and photos only once staff
    # verified it, and its exact place only when staff mark the place public.
    Column("verified_at", DateTime(timezone=True)),
    Column("verified_by", String(128)),
    Column("place_public", Boolean, nullable=False, server_default=false()),
    # Lateness (backend/deadlines.py): how many steps of data/deadlines.yml an
    # overdue ticket has been escalated through, and when the last one was.
    Column("escalation_level", Integer, nullable=False, server_default="0"),
    Column("escalated_at", DateTime(timezone=True)),
    # A duplicate merged into another ticket (backend/merging.py): its reporter
    # hears of that ticket's progress.
    Column("merged_into_id", Integer, ForeignKey("tickets.id", ondelete="SET NULL"), index=True),
    # The citizen's word on the fix (backend/closure.py): waiting, confirmed,
    # reopened or expired (no answer in time); and their 1-5 rating.
    Column("closure_state", String(16), index=True),
    Column("closure_asked_at", DateTime(timezone=True)),
    Column("citizen_rating", Integer),
    Column("rated_at", DateTime(timezone=True)),
    # For the monitoring figures (backend/monev/), kept by tickets.record_event:
    # the city's first action on the ticket, and when it was last closed (None while open).
    Column("first_response_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("workflow_status", String(16), nullable=False),
    Column("note", Text),
    Column("actor", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # status (a workflow move), transfer (to another department), escalation
    # (late), merge, question/answer (with the citizen), closure (their word on the fix).
    Column("kind", String(16), nullable=False, server_default="status"),
    # A photo or pin that came with the entry: the citizen's answer, the finished work.
    Column("media_url", Text),
    Column("lat", Float),
    Column("long", Float),
    # The action server's idempotency key of a citizen's answer (one entry per message).
    Column("key", String(64)),
    Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),
    Index("ux_ticket_events_key", "key", unique=True),
    # The reporters' reopenings, counted per department by the monitoring figures.
    Index(
        "ix_ticket_events_reopen",
        "ticket_id",
        postgresql_where=text("kind = 'reopen'"),
        sqlite_where=text("kind = 'reopen'"),
    ),
)

department_keys = Table(
    "department_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("department_code", String(64), nullable=False),
    # sha256 of the key: a leaked database does not leak usable keys.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("label", String(128)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

media = Table(
    "media",
    metadata,
    # Random id: media URLs are public, and must not be guessable in sequence.
    Column("id", String(32), primary_key=True),
    Column("content_type", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("recipient", String(160), nullable=False),  # "whatsapp:+62...", "web:<conversation>"
    Column("workflow_status", String(16), nullable=False),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("message_sid", String(64)),
    Column("kind", String(16)),  # "text" inside WhatsApp's 24-hour window, else "template"
    Column("last_error", Text),
    # pending -> sent, or undeliverable (no approved template outside the
    # 24-hour window) / failed (the retry cap): kept and listed until the
    # retention period (backend/retention.py).
    Column("state", String(16), nullable=False, server_default="pending"),
    # status (a workflow notice), question (from staff), closure_check (is it fixed?).
    Column("purpose", String(16), nullable=False, server_default="status"),
    Column("media_url", Text),  # a photo sent with it (the finished work)
    Index("ix_notifications_due", "state", "next_attempt_at"),
)

rate_counters = Table(
    "rate_counters",
    metadata,
    # What is counted and for whom, e.g. "tickets:<account>", "upload-bytes:ip:<address>".
    Column("key", String(200), primary_key=True),
    Column("window_start", DateTime(timezone=True), primary_key=True),
    Column("count", Integer, nullable=False),
    Index("ix_rate_counters_window_start", "window_start"),
)

users = Table(
    "users",
    metadata,
    # People of the city console (backend/people.py); never deleted, only disabled.
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("password_hash", String(255), nullable=False),  # Argon2id
    Column("department_code", String(64)),  # for staff and staff_head
    # Where alerts reach the person when not signed in (WhatsApp templates).
    Column("phone", String(32)),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(32), primary_key=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    # Who did what, when, on which record: every action a person takes.
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("record_type", String(32)),
    Column("record_id", String(64)),
    Column("detail", JSON, nullable=False),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    # A signed-in browser (backend/console/sessions.py). The cookie holds a
    # random token; only its SHA-256 is kept, so a leaked table opens nothing.
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

live_events = Table(
    "live_events",
    metadata,
    # What the console's pages hear live (backend/live.py): the id is the SSE
    # event id a reconnecting page resumes after; pruned after a day.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("topic", String(64), nullable=False),
    # Who may hear it: roles (comma separated) and, for department roles, the department.
    Column("roles", String(255), nullable=False),
    Column("department_code", String(64)),
    Column("data", JSON, nullable=False),
)

conversations = Table(
    "conversations",
    metadata,
    # One per Rasa sender id: a pseudonym (WhatsApp) or a widget session, never a number.
    Column("id", Integer, primary_key=True),
    Column("sender_key", String(128), nullable=False, unique=True),
    Column("channel", String(32)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_event_at", DateTime(timezone=True), nullable=False, index=True),
    Column("user_messages", Integer, nullable=False, server_default="0"),
    Column("bot_messages", Integer, nullable=False, server_default="0"),
)

conversation_events = Table(
    "conversation_events",
    metadata,
    # Every message and bot action of a conversation, from Rasa's event broker
    # (backend/pipeline/). event_key makes a redelivered event a no-op.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column(
        "conversation_id",
        Integer,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_key", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # user, bot, action, session
    Column("at", DateTime(timezone=True), nullable=False),
    Column("text", Text),  # phone numbers and NIK masked
    Column("intent", String(128)),
    Column("confidence", Float),
    Column("entities", JSON),
    Column("action", String(128)),
    Column("channel", String(32)),
    Column("origin", String(16)),  # bot, city (a notice), operator
    Column("data", JSON),
    Index("ix_conversation_events_conversation_at", "conversation_id", "at"),
    Index("ix_conversation_events_at", "at"),
)

message_days = Table(
    "message_days",
    metadata,
    # Counts per WIB day for the monitoring figures (backend/monev/), kept by the
    # pipeline in the same transaction as the events (backend/pipeline/daily.py).
    # Nothing personal, so kept after the conversations themselves are purged.
    Column("day", Date, primary_key=True),
    Column("channel", String(16), primary_key=True),  # lapor.channels: whatsapp, web, other
    # conversation (its first citizen message), user, bot, action
    Column("kind", String(16), primary_key=True),
    Column("name", String(128), primary_key=True),  # the intent (user) or action; "" else
    Column("band", Integer, primary_key=True),  # the NLU confidence in 0.05 bands, 0-20; -1 none
    Column("count", Integer, nullable=False),
)

pipeline_cursors = Table(
    "pipeline_cursors",
    metadata,
    # How far the consumer has read a source (Rasa's sql event broker's table),
    # moved in the same transaction as what it read: nothing twice, nothing lost.
    Column("source", String(64), primary_key=True),
    Column("position", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
)

operator_shifts = Table(
    "operator_shifts",
    metadata,
    # A 112 operator's shift (backend/emergency/shifts.py): on duty while it is
    # open and their console was seen lately (its live stream touches it).
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("phone", String(32)),  # the desk phone "telepon balik" rings
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Index("ix_operator_shifts_open", "ended_at", "last_seen_at"),
)

incidents = Table(
    "incidents",
    metadata,
    # An emergency a citizen reported in a chat (backend/emergency/), from
    # the bot's turn to the operator's resolution. The *_at columns are the
    # seconds the city's review asks to see.
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),  # the action server's idempotency key
    Column("kind", String(32), nullable=False),  # emergency_fire, ...
    Column("state", String(16), nullable=False, index=True),  # open, accepted, resolved
    Column("channel", String(32), nullable=False),
    Column("conversation_key", String(128), nullable=False, index=True),  # Rasa's sender id
    Column("contact", Text),  # the sealed phone number (lapor/contact.py); opened for a call only
    Column("text", Text),  # the citizen's first message, masked
    Column("location_text", Text),
    Column("kelurahan", String(128)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("transcript", JSON),  # the conversation before the incident, masked
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("operators_on_duty", Integer, nullable=False, server_default="0"),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("alerted_at", DateTime(timezone=True)),
    Column("seen_at", DateTime(timezone=True)),
    Column("accepted_at", DateTime(timezone=True)),
    Column("escalated_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolution", Text),
)

incident_events = Table(
    "incident_events",
    metadata,
    # Everything that happened to an incident, second by second: its timeline.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("actor_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("text", Text),
    Column("data", JSON),
    Index("ix_incident_events_incident_at", "incident_id", "at"),
)

incident_sends = Table(
    "incident_sends",
    metadata,
    # What an incident makes the system do outside the database: a message to
    # the citizen, pausing or resuming the bot, a phone call. Queued in the
    # same transaction as the change, tried at once, retried by every replica.
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # message, pause, resume, call, connect
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False, index=True),  # pending, done, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
)

staff_alerts = Table(
    "staff_alerts",
    metadata,
    # A WhatsApp template to a city employee who may not be signed in (an
    # overdue ticket's escalation, backend/deadlines.py), sent by lapor.jobs.
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("template", String(64), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("state", String(16), nullable=False, index=True),  # pending, sent, undeliverable, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
)

canned_replies = Table(
    "canned_replies",
    metadata,
    # Ready-made notes a department's staff insert into a ticket's status note
    # (backend/console/replies.py); kept by the department's staff_head.
    Column("id", Integer, primary_key=True),
    Column("department_code", String(64), nullable=False, index=True),
    Column("title", String(120), nullable=False),
    Column("text", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64), nullable=False),  # the username
)

# -- the content editors' tool (backend/editor/) ------------------------------

nlu_inbox_decisions = Table(
    "nlu_inbox_decisions",
    metadata,
    # What an editor decided about a message in the inbox (backend/editor/inbox.py):
    # an intent (it became a training example), "prank" or "abaikan". Decided
    # messages leave the inbox; the event itself stays where the pipeline put it.
    Column(
        "event_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("conversation_events.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("decision", String(16), nullable=False),  # example, ignored
    Column("intent", String(64)),
    Column("example", Text),  # the annotated line written to data/nlu
    Column("commit", String(40)),
    Column("decided_by", String(64), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

nlu_trainings = Table(
    "nlu_trainings",
    metadata,
    # A model training of one commit of the training data, done by the trainer
    # worker (`python -m bot nlu train`); at most one runs at a time.
    Column("id", Integer, primary_key=True),
    Column("commit", String(40), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    # queued, running, done (a model and its figures), failed
    Column("state", String(16), nullable=False, index=True),
    Column("worker", String(128)),
    Column("started_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),  # a running training's worker is alive
    Column("finished_at", DateTime(timezone=True)),
    Column("stage", String(128)),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("log", Text, nullable=False, server_default=""),  # the last lines of the worker's log
    Column("error", Text),
    Column("figures", JSON),  # the new model's figures, sent before the model itself
    # One training at a time across replicas and workers: a second claim fails here.
    Index(
        "uq_nlu_trainings_running",
        "state",
        unique=True,
        postgresql_where=text("state = 'running'"),
        sqlite_where=text("state = 'running'"),
    ),
)

nlu_models = Table(
    "nlu_models",
    metadata,
    # A trained model (the .tar.gz Rasa loads) and its figures on the held-out
    # sets; served to every Rasa replica by the model server (backend/editor/model_server.py).
    Column("id", Integer, primary_key=True),
    Column(
        "training_id",
        Integer,
        ForeignKey("nlu_trainings.id", ondelete="SET NULL"),
        unique=True,
    ),
    Column("sha256", String(64), nullable=False, unique=True),  # the ETag
    Column("filename", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("figures", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

nlu_deployments = Table(
    "nlu_deployments",
    metadata,
    # Every deploy, rollback and refused deploy. The model Rasa serves is the
    # one of the newest row that was not refused.
    Column("id", Integer, primary_key=True),
    Column("model_id", Integer, ForeignKey("nlu_models.id", ondelete="CASCADE"), nullable=False),
    Column("action", String(16), nullable=False),  # deploy, rollback, refused
    Column("reasons", JSON, nullable=False),  # why it was refused (Indonesian), or []
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)

voice_calls = Table(
    "voice_calls",
    metadata,
    # A call to the 112 voice line (backend/voice/): from Twilio's first
    # webhook to its end, how it was sorted (the flow's guess, then the
    # operator's word) and the seconds the city's review asks for.
    Column("id", Integer, primary_key=True),
    Column("call_sid", String(64), nullable=False, unique=True),
    # The caller's pseudonym, the same as their WhatsApp conversation's: the history.
    Column("caller", String(128), nullable=False, index=True),
    Column("contact", Text),  # the sealed number (lapor/contact.py)
    # greeting, prompt (the silent caller's "tekan 5 dua kali"), queued,
    # connecting (an operator took it), ended.
    Column("state", String(16), nullable=False, index=True),
    # valid, silent (pressed 55), information, prank, ghost; None until known.
    Column("class", String(16), index=True),
    Column("route", String(16)),  # how it reached the queue: speech, keys, silent55
    Column("queue", String(16)),  # main, prank
    Column("cannot_speak", Boolean, nullable=False, server_default=false()),
    Column("dropped", Boolean, nullable=False, server_default=false()),
    Column("prompts", Integer, nullable=False, server_default="0"),
    Column("speech", Text),  # what the caller said (masked), as Twilio heard it
    Column("confidence", Float),
    Column("digits", String(32)),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="SET NULL"), index=True),
    Column("operator_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("queued_at", DateTime(timezone=True)),
    Column("connected_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("end_status", String(16)),  # Twilio's CallStatus at the end
    # The WhatsApp message after a ghost call or a prank (lapor.jobs queue):
    # none, pending, sent, undeliverable, failed.
    Column("message_kind", String(16)),  # ghost, prank
    Column("message_state", String(16), nullable=False, server_default="none", index=True),
    Column("message_attempts", Integer, nullable=False, server_default="0"),
    Column("message_next_at", DateTime(timezone=True)),
    Column("message_error", Text),
)

voice_steps = Table(
    "voice_steps",
    metadata,
    # What each step of a call answered: Twilio retries a webhook it got no
    # answer to, and the retry gets the same TwiML without acting twice.
    Column("call_sid", String(64), primary_key=True),
    Column("step", String(64), primary_key=True),
    Column("twiml", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

voice_callers = Table(
    "voice_callers",
    metadata,
    # A number's prank flag, cleared by an operator_supervisor: only pranks
    # after the clearing count again.
    Column("caller", String(128), primary_key=True),
    Column("prank_cleared_at", DateTime(timezone=True)),
    Column("cleared_by", String(64)),
)

"""Emergency incidents for the live 112 operators: sent at once, kept when they cannot be.

The emergency actions create an incident in the city backend (and later add
the place, or the citizen's word that it is safe now) within the citizen's
turn, with a short timeout: the 112 call instruction goes out only when the
action returns, so it must never wait for a slow backend.

Whatever could not be delivered is kept in the action server's outbox
database (table `pending_incidents`, beside the outbox's reports) and sent
by a worker in id order, so a creation goes before its updates. Creation is
idempotent by the incident's key, so a creation that timed out but arrived
is never doubled; an update the backend cannot match yet (404: its creation
still waits here) is simply retried.

A row goes `pending` -> `sent`, `refused` (an answer retrying cannot fix;
logged as an error) or `dead` (still undelivered after about a day).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, Dict, Optional
from urllib.parse import quote

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from actions.backend_client import BackendRejected, BackendUnavailable, call
from actions.outbox import Outbox
from actions.settings import ActionSettings
from lapor import jobs
from lapor.db import insert_ignoring
from lapor.timeutil import utcnow

logger = logging.getLogger(__name__)

CREATE, UPDATE = "create", "update"
PENDING, SENT, REFUSED, DEAD = "pending", "sent", "refused", "dead"
OPEN, ACCEPTED, RESOLVED = "open", "accepted", "resolved"
# How an incident, or an update to it, left the citizen's turn.
DELIVERED, QUEUED, FAILED = "delivered", "queued", "failed"

metadata = MetaData()
pending_incidents = Table(
    "pending_incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    # One row per creation or update, however often the action that made it runs.
    Column("job_key", String(160), nullable=False, unique=True),
    Column("incident_key", String(64), nullable=False),
    Column("job", String(16), nullable=False),
    Column("body", JSON, nullable=False),
    Column("state", String(16), nullable=False, server_default=PENDING),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
)

# An emergency is retried quickly (5 s doubling to a minute) and for about a
# day: an operator still wants a late incident and its transcript.
BACKOFF = jobs.Backoff(first=timedelta(seconds=5), most=timedelta(minutes=1))
MAX_ATTEMPTS = 1440
# Answers that say "not now" rather than "never": a wrong or missing API key
# is fixed by the city's admins, and the incidents must still arrive then.
RETRYABLE = frozenset({401, 403, 408, 429})

_c = pending_incidents.c
sending = jobs.Queue(
    name="incidents",
    table=pending_incidents,
    waiting=lambda: _c.state == PENDING,
    due=_c.next_attempt_at,
    attempts=_c.attempts,
    error=_c.last_error,
    max_attempts=MAX_ATTEMPTS,
    dead=lambda: {"state": DEAD},
    backoff=BACKOFF,
)


# The longest texts the backend takes (backend/emergency/api.py): a long
# WhatsApp message is cut rather than refused, so the incident still exists.
MAX_TEXT = 4000
MAX_PLACE = 500
MAX_KELURAHAN = 128


@dataclass(frozen=True)
class Location:
    text: Optional[str] = None
    kelurahan: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None

    def data(self) -> Dict[str, Any]:
        return {
            **asdict(self),
            "text": clip(self.text, MAX_PLACE),
            "kelurahan": clip(self.kelurahan, MAX_KELURAHAN),
        }


@dataclass(frozen=True)
class Incident:
    """The backend's answer about an incident."""

    id: int
    key: str
    state: str
    operators_on_duty: int
    created: bool = False


@dataclass(frozen=True)
class Job:
    """A creation or an update, as sent to the backend and as kept in the queue."""

    job: str
    incident_key: str
    body: Dict[str, Any]
    job_key: str

    @classmethod
    def creation(cls, body: Dict[str, Any]) -> "Job":
        key = str(body["key"])
        return cls(CREATE, key, body, f"{CREATE}:{key}")

    @classmethod
    def update(cls, key: str, body: Dict[str, Any]) -> "Job":
        # The triggering message's time tells a retried action from a new message.
        return cls(UPDATE, key, body, f"{body['kind']}:{key}:{body['at']}")


@dataclass(frozen=True)
class Delivery:
    status: str  # DELIVERED, QUEUED or FAILED
    incident: Optional[Incident] = None

    @property
    def forwarded(self) -> bool:
        """At the backend, or durably on its way there."""
        return self.status in (DELIVERED, QUEUED)


class IncidentClient:
    """The backend's emergency API (backend/emergency/api.py)."""

    def __init__(self, settings: ActionSettings, timeout: Optional[float] = None) -> None:
        self._base = f"{settings.backend_url}/emergency/v1/incidents"
        self._headers = {"Authorization": f"Bearer {settings.open311_api_key}"}
        self._timeout = timeout or settings.incident_timeout

    async def send(self, job: Job) -> Incident:
        """The job sent; the incident as the backend then says it is."""
        return _incident(await self.post(job))

    async def post(self, job: Job) -> Any:
        """The job sent; the backend's answer as it came."""
        url = self._base
        if job.job == UPDATE:
            url = f"{self._base}/{quote(job.incident_key, safe='')}/updates"
        return await call("POST", url, self._timeout, json=job.body, headers=self._headers)


class IncidentQueue:
    """The kept jobs; its table lives in the outbox's database, on the outbox's engine."""

    _shared: Dict[str, "IncidentQueue"] = {}

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    @classmethod
    def shared(cls, url: str) -> "IncidentQueue":
        """One per database URL and process, sharing the outbox's connection pool."""
        if url not in cls._shared:
            cls._shared[url] = cls(Outbox.shared(url))
        return cls._shared[url]

    async def engine(self) -> AsyncEngine:
        # Created like the outbox's table, and for the same reason: it must
        # not depend on the backend (and its migrations) being up.
        return await self._outbox.engine(metadata)

    async def put(self, job: Job) -> None:
        engine = await self.engine()
        now = utcnow()
        values = {
            "job_key": job.job_key,
            "incident_key": job.incident_key,
            "job": job.job,
            "body": job.body,
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        async with engine.begin() as conn:
            await conn.execute(insert_ignoring(conn, pending_incidents, "job_key").values(values))
        logger.info("incident %s of %s kept until the backend takes it", job.job, job.incident_key)

    async def pending(self) -> int:
        return await sending.count(await self.engine())

    async def flush(self, client: IncidentClient, batch: int = 20) -> int:
        """Sends the due jobs, oldest first; returns how many the backend took."""
        sent = 0

        async def send(row: Any) -> Dict[str, Any]:
            nonlocal sent
            values = await _send(client, row)
            sent += values.get("state") == SENT
            return values

        await sending.run(await self.engine(), send, batch)
        return sent

    async def close(self) -> None:
        await self._outbox.close()


def clip(text: Optional[str], most: int = MAX_TEXT) -> Optional[str]:
    return text[:most] if text else text


async def deliver(settings: ActionSettings, job: Job) -> Delivery:
    """Sends the job within the turn; keeps it when the backend cannot take it now."""
    try:
        incident = await IncidentClient(settings).send(job)
    except BackendUnavailable:
        return await keep(settings, job)
    except BackendRejected as exc:
        if not _retryable(job, exc):
            logger.error("backend refused incident %s %s: %s", job.job, job.incident_key, exc)
            return Delivery(FAILED)
        _log_retryable(job, exc)
        return await keep(settings, job)
    return Delivery(DELIVERED, incident)


async def keep(settings: ActionSettings, job: Job) -> Delivery:
    """Queues the job without trying the backend (it has just failed this turn)."""
    try:
        await IncidentQueue.shared(settings.outbox_url).put(job)
    except (SQLAlchemyError, OSError):
        # Neither sent nor kept: the citizen must not be told otherwise.
        logger.exception("incident %s of %s could not be kept", job.job, job.incident_key)
        return Delivery(FAILED)
    return Delivery(QUEUED)


async def _send(client: IncidentClient, row: Any) -> Dict[str, Any]:
    job = Job(row.job, row.incident_key, row.body, row.job_key)
    try:
        # Any success is final here: nobody waits for the answer's details.
        await client.post(job)
    except BackendUnavailable as exc:
        return sending.retry(row, str(exc))
    except BackendRejected as exc:
        if _retryable(job, exc):
            _log_retryable(job, exc)
            return sending.retry(row, str(exc))
        logger.error("kept incident job %s refused by the backend: %s", row.id, exc)
        return sending.finish(row, state=REFUSED, last_error=f"refused: {exc}"[:500])
    return sending.finish(row, state=SENT, sent_at=utcnow())


def _retryable(job: Job, exc: BackendRejected) -> bool:
    # An update may reach the backend before its creation (still kept here).
    return exc.status in RETRYABLE or (job.job == UPDATE and exc.status == 404)


def _log_retryable(job: Job, exc: BackendRejected) -> None:
    if exc.status in (401, 403):
        logger.error("backend refused the API key for incidents (OPEN311_API_KEY?): %s", exc)
    else:
        logger.info("incident %s of %s not taken yet: %s", job.job, job.incident_key, exc)


def _incident(body: Any) -> Incident:
    try:
        return Incident(
            id=int(body["id"]),
            key=str(body["key"]),
            state=str(body["state"]),
            operators_on_duty=int(body.get("operators_on_duty") or 0),
            created=bool(body.get("created", False)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # The backend answered, but not as agreed: the job is kept and sent
        # again by the worker, rather than a half-read answer told the citizen.
        raise BackendUnavailable(f"unexpected answer: {exc!r}") from exc

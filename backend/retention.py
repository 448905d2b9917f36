"""Retention: personal data is kept only as long as its purpose needs it.

Indonesia's Personal Data Protection Law (UU No. 27 Tahun 2022) asks for
purpose limitation and a retention period; the periods are settings
(RETENTION_*_DAYS, backend/settings.py) and the citizens' notice at /privasi
shows them. `purge` runs every PURGE_INTERVAL in every backend replica
(`python -m backend purge` by hand) and, past each period:

- conversations: messages (conversation_events) older than the period are
  deleted, then conversations with no message left;
- tickets: a closed ticket whose closing is older than the period is
  anonymised: the reporter's details go, the description and address are
  replaced, the staff's notes masked; the service, department, kelurahan,
  rounded place, dates and status stay for the city's figures;
- media: photos of tickets closed longer than the period are deleted (and the
  ticket's links emptied), so are old photos no ticket ever took;
- emergencies: an incident resolved longer ago than the period is
  anonymised like a ticket: the sealed number, the citizen's words, the
  transcript and the place's text go, the operators' notes are masked, its
  sends (which hold the number and the messages) are deleted; its type,
  kelurahan, rounded place and every second of its timeline stay for the
  monitoring figures;
- 112 calls: a call older than the incidents' period loses its sealed number,
  what was heard and the caller's pseudonym (its class, route and seconds
  stay); the answered webhook steps (kept only for Twilio's retries) go
  after two days;
- audit records, sent or abandoned status notices (they hold the number) and
  expired console sessions are deleted.

Each kind runs in its own transactions, so one failing kind does not keep the
others' personal data. Every run is idempotent and replicas may run it at the
same time: rows are deleted by condition, and tickets to anonymise are taken
with SKIP LOCKED and re-checked under their lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Union

from sqlalchemy import Column, String, and_, cast, delete, exists, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from backend import people
from backend.settings import BackendSettings
from backend.tables import (
    audit_log,
    console_sessions,
    conversation_events,
    conversations,
    incident_events,
    incident_sends,
    incidents,
    media,
    notifications,
    ticket_events,
    tickets,
    voice_calls,
    voice_steps,
)
from lapor.privacy import mask_text
from lapor.timeutil import to_utc, utcnow

logger = logging.getLogger(__name__)

# What an anonymised ticket's description becomes. It is also the mark that the
# ticket is done: the anonymising condition excludes it, so a run never redoes one
# (the schema has no column for it).
ANONYMISED = "[Data pelapor telah dihapus karena masa simpan berakhir]"
# Coordinates kept at about 100 m (3 decimals), as the public sees unverified places.
PLACE_DECIMALS = 3
BATCH = 200  # tickets per transaction: a first run over years of data stays short
VOICE_STEP_DAYS = 2  # Twilio retries a webhook within seconds; the steps then say nothing
ANONYMOUS_CALLER = "anonim:"
ORPHAN_BATCH = 500  # unlinked photos looked at per run
# Notices that will not be sent again (lapor.jobs / backend/notify.py states).
FINISHED_NOTICES = ("sent", "undeliverable", "failed")
CLOSED = "closed"
KINDS = (
    "conversation_events",
    "conversations",
    "tickets",
    "incidents",
    "voice_calls",
    "voice_steps",
    "media",
    "audit",
    "notifications",
    "console_sessions",
)


@dataclass(frozen=True)
class Policy:
    conversation_days: int
    ticket_days: int
    media_days: int
    audit_days: int
    notification_days: int
    incident_days: int = 365

    @classmethod
    def from_settings(cls, settings: BackendSettings) -> "Policy":
        return cls(
            conversation_days=settings.retention_conversation_days,
            ticket_days=settings.retention_ticket_days,
            media_days=settings.retention_media_days,
            audit_days=settings.retention_audit_days,
            notification_days=settings.retention_notification_days,
            incident_days=settings.retention_incident_days,
        )

    @property
    def effective_media_days(self) -> int:
        # A photo is the reporter's data too: it never outlives the ticket's details.
        return min(self.media_days, self.ticket_days)


async def purge(
    engine: AsyncEngine,
    settings_or_policy: Union[BackendSettings, Policy],
    now: Optional[datetime] = None,
    dry_run: bool = False,
) -> Dict[str, int]:
    """Deletes or anonymises what is past its period; how many rows of each kind.

    `now` is the clock (tests move it); `dry_run` counts without changing anything.
    """
    policy = _policy(settings_or_policy)
    # In UTC, as stored: SQLite drops an offset without converting (backend/tickets.py).
    when = to_utc(now or utcnow())
    if dry_run:
        return await _count(engine, policy, when)
    counts: Dict[str, int] = {}
    events, convs = await _conversations(engine, when - timedelta(days=policy.conversation_days))
    counts["conversation_events"], counts["conversations"] = events, convs
    counts["tickets"] = await _tickets(engine, when - timedelta(days=policy.ticket_days))
    counts["incidents"] = await _incidents(engine, when - timedelta(days=policy.incident_days))
    counts["voice_calls"] = await _voice_calls(engine, when - timedelta(days=policy.incident_days))
    counts["voice_steps"] = await _delete(
        engine, voice_steps, voice_steps.c.at < when - timedelta(days=VOICE_STEP_DAYS)
    )
    counts["media"] = await _media(engine, when - timedelta(days=policy.effective_media_days))
    counts["audit"] = await _delete(
        engine, audit_log, audit_log.c.at < when - timedelta(days=policy.audit_days)
    )
    counts["notifications"] = await _delete(
        engine, notifications, _old_notices(when - timedelta(days=policy.notification_days))
    )
    counts["console_sessions"] = await _delete(
        engine, console_sessions, console_sessions.c.expires_at < when
    )
    if any(counts.values()):
        async with engine.begin() as conn:
            await people.audit(conn, "system", "retention.purge", None, None, counts, when=when)
    return counts


async def purged_total(engine: AsyncEngine, settings: BackendSettings) -> int:
    """One scheduled run (lapor.periodic.repeat wants how many items it handled)."""
    counts = await purge(engine, settings)
    if any(counts.values()):
        logger.info("retention purge: %s", _summary(counts))
    return sum(counts.values())


def _policy(value: Union[BackendSettings, Policy]) -> Policy:
    return value if isinstance(value, Policy) else Policy.from_settings(value)


def _summary(counts: Dict[str, int]) -> str:
    return " ".join(f"{kind}={n}" for kind, n in counts.items())


# -- conversations -------------------------------------------------------------


def _empty_conversation(cutoff: datetime) -> ColumnElement[bool]:
    # last_event_at guards a conversation the pipeline is writing to right now.
    has_events = exists().where(conversation_events.c.conversation_id == conversations.c.id)
    return and_(conversations.c.last_event_at < cutoff, not_(has_events))


async def _conversations(engine: AsyncEngine, cutoff: datetime) -> tuple[int, int]:
    async with engine.begin() as conn:
        events = await conn.execute(
            delete(conversation_events).where(conversation_events.c.at < cutoff)
        )
        convs = await conn.execute(delete(conversations).where(_empty_conversation(cutoff)))
    return int(events.rowcount or 0), int(convs.rowcount or 0)


# -- tickets -------------------------------------------------------------------


def _to_anonymise(cutoff: datetime) -> ColumnElement[bool]:
    # updated_at is the last workflow change (tickets.set_publication leaves it
    # alone): for a closed ticket, its closing. An open ticket is never touched.
    return and_(
        tickets.c.status == CLOSED,
        tickets.c.updated_at < cutoff,
        tickets.c.description != ANONYMISED,
    )


async def _tickets(engine: AsyncEngine, cutoff: datetime) -> int:
    done = 0
    while True:
        async with engine.begin() as conn:
            condition = _to_anonymise(cutoff)
            rows = await _locked(conn, condition)
            for row in rows:
                done += await _anonymise(conn, row, condition)
        if len(rows) < BATCH:
            return done


async def _locked(conn: AsyncConnection, condition: ColumnElement[bool]) -> List[Any]:
    """Rows matching `condition`, locked; those another replica holds are skipped.

    PostgreSQL re-checks the condition once it has the lock, so a ticket
    reopened (or anonymised) meanwhile is not taken. SQLite has one writer.
    """
    statement = (
        select(tickets).where(condition).order_by(tickets.c.id).limit(BATCH)
    ).with_for_update(skip_locked=True)
    return list((await conn.execute(statement)).all())


async def _anonymise(conn: AsyncConnection, row: Any, condition: ColumnElement[bool]) -> int:
    """1 when this run anonymised the ticket, 0 when another replica was first."""
    # The condition again: SQLite reads without a lock, so two runs may both
    # have seen the ticket; only the one whose update still matches goes on.
    result = await conn.execute(
        update(tickets)
        .where(tickets.c.id == row.id, condition)
        .values(
            description=ANONYMISED,
            address=None,
            address_id=None,
            lat=_rounded(row.lat),
            long=_rounded(row.long),
            attributes={},  # answers such as a PDAM customer number name the reporter
            account_id=None,
            phone=None,
            email=None,
            first_name=None,
            last_name=None,
            device_id=None,
            # A client's key and the request's hash may be derived from the sender.
            idempotency_key=None,
            request_fingerprint=None,
            status_notes=mask_text(row.status_notes) if row.status_notes else None,
        )
    )
    if not result.rowcount:
        return 0
    await _mask_history(conn, row.id)
    # Every notice of this ticket holds the reporter's number or conversation.
    await conn.execute(delete(notifications).where(notifications.c.ticket_id == row.id))
    return 1


async def _mask_history(conn: AsyncConnection, ticket_id: int) -> None:
    await _mask_column(conn, ticket_events.c.note, ticket_events.c.ticket_id == ticket_id)


async def _mask_column(
    conn: AsyncConnection, column: Column[Any], where: ColumnElement[bool]
) -> None:
    """Masks phone numbers and NIKs in `column` of the rows matching `where`."""
    table = column.table
    statement = select(table.c.id, column).where(where, column.is_not(None))
    for row_id, value in (await conn.execute(statement)).all():
        masked = mask_text(value)
        if masked != value:
            await conn.execute(
                update(table).where(table.c.id == row_id).values({column.name: masked})
            )


def _rounded(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, PLACE_DECIMALS)


# -- incidents -----------------------------------------------------------------

# Timeline entries whose text or data the citizen wrote or an operator wrote to them.
_PERSONAL_EVENTS = ("received", "location", "photo", "voice_note", "citizen_message",
                    "citizen_safe", "operator_reply")  # fmt: skip


def _incident_to_anonymise(cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        incidents.c.state == "resolved",
        incidents.c.resolved_at < cutoff,
        or_(incidents.c.text.is_(None), incidents.c.text != ANONYMISED),
    )


async def _incidents(engine: AsyncEngine, cutoff: datetime) -> int:
    condition = _incident_to_anonymise(cutoff)
    async with engine.begin() as conn:
        rows = (await conn.execute(select(incidents).where(condition).limit(BATCH))).all()
        done = 0
        for row in rows:
            result = await conn.execute(
                update(incidents)
                .where(incidents.c.id == row.id, condition)
                .values(
                    text=ANONYMISED,
                    contact=None,
                    transcript=None,
                    location_text=None,
                    latitude=_rounded(row.latitude),
                    longitude=_rounded(row.longitude),
                    resolution=mask_text(row.resolution) if row.resolution else None,
                )
            )
            if not result.rowcount:
                continue  # another replica was first
            done += 1
            await conn.execute(
                update(incident_events)
                .where(
                    incident_events.c.incident_id == row.id,
                    incident_events.c.kind.in_(_PERSONAL_EVENTS),
                )
                .values(text=None, data=None)
            )
            # The operators' own notes stay (the figures read them), masked.
            await _mask_column(
                conn, incident_events.c.text, incident_events.c.incident_id == row.id
            )
            await conn.execute(delete(incident_sends).where(incident_sends.c.incident_id == row.id))
    return done


# -- 112 calls -----------------------------------------------------------------


def _call_to_anonymise(cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        voice_calls.c.started_at < cutoff,
        not_(voice_calls.c.caller.startswith(ANONYMOUS_CALLER)),
    )


async def _voice_calls(engine: AsyncEngine, cutoff: datetime) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            update(voice_calls)
            .where(_call_to_anonymise(cutoff))
            .values(
                contact=None,
                speech=None,
                digits=None,
                caller=ANONYMOUS_CALLER + cast(voice_calls.c.id, String),
            )
        )
    return int(result.rowcount or 0)


# -- media ---------------------------------------------------------------------


def _with_photos(cutoff: datetime) -> ColumnElement[bool]:
    # media_urls is JSON written by json.dumps: an empty list is stored as "[]".
    return and_(
        tickets.c.status == CLOSED,
        tickets.c.updated_at < cutoff,
        cast(tickets.c.media_urls, String) != "[]",
    )


def _media_id(url: object) -> Optional[str]:
    """'<backend>/media/<id>' -> '<id>' (lapor/mediaurls.py)."""
    if not isinstance(url, str) or "/media/" not in url:
        return None
    return url.rsplit("/media/", 1)[1] or None


async def _media(engine: AsyncEngine, cutoff: datetime) -> int:
    deleted = 0
    while True:
        async with engine.begin() as conn:
            rows = await _locked(conn, _with_photos(cutoff))
            for row in rows:
                deleted += await _drop_photos(conn, row, cutoff)
        if len(rows) < BATCH:
            break
    async with engine.begin() as conn:
        deleted += await _drop_orphans(conn, cutoff)
    return deleted


async def _drop_photos(conn: AsyncConnection, row: Any, cutoff: datetime) -> int:
    ids = [i for i in (_media_id(url) for url in row.media_urls or []) if i]
    forget = update(tickets).where(tickets.c.id == row.id, _with_photos(cutoff))
    if not (await conn.execute(forget.values(media_urls=[]))).rowcount:
        return 0  # another replica took this ticket's photos (see _anonymise)
    # A photo another ticket still needs (the same upload sent twice) stays.
    kept = [i for i in ids if await _still_used(conn, i, row.id, cutoff)]
    gone = [i for i in ids if i not in kept]
    if not gone:
        return 0
    result = await conn.execute(delete(media).where(media.c.id.in_(gone)))
    return int(result.rowcount or 0)


def _links(media_id: str) -> ColumnElement[bool]:
    return cast(tickets.c.media_urls, String).like(f"%/media/{media_id}%")


async def _still_used(
    conn: AsyncConnection, media_id: str, ticket_id: int, cutoff: datetime
) -> bool:
    live = or_(tickets.c.status != CLOSED, tickets.c.updated_at >= cutoff)
    statement = select(tickets.c.id).where(tickets.c.id != ticket_id, live, _links(media_id))
    return (await conn.execute(statement.limit(1))).first() is not None


async def _drop_orphans(conn: AsyncConnection, cutoff: datetime) -> int:
    """Photos older than the period that no ticket links to (a report never sent)."""
    old = select(media.c.id).where(media.c.created_at < cutoff).order_by(media.c.created_at)
    candidates: Sequence[str] = (await conn.execute(old.limit(ORPHAN_BATCH))).scalars().all()
    orphans = [
        i
        for i in candidates
        if (await conn.execute(select(tickets.c.id).where(_links(i)).limit(1))).first() is None
    ]
    if not orphans:
        return 0
    result = await conn.execute(delete(media).where(media.c.id.in_(orphans)))
    return int(result.rowcount or 0)


# -- the rest ------------------------------------------------------------------


def _old_notices(cutoff: datetime) -> ColumnElement[bool]:
    # Pending notices are still to be sent (backend/notify.py); finished ones
    # count from their creation (a sent one also has sent_at, later).
    return and_(notifications.c.state.in_(FINISHED_NOTICES), notifications.c.created_at < cutoff)


async def _delete(engine: AsyncEngine, table: Any, condition: ColumnElement[bool]) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(delete(table).where(condition))
    return int(result.rowcount or 0)


async def _count(engine: AsyncEngine, policy: Policy, now: datetime) -> Dict[str, int]:
    """What a run at `now` would purge (photos: those of closed tickets; orphans need the scan)."""

    def days(n: int) -> datetime:
        return now - timedelta(days=n)

    conv_cut = days(policy.conversation_days)
    queries = {
        "conversation_events": select(func.count())
        .select_from(conversation_events)
        .where(conversation_events.c.at < conv_cut),
        "conversations": select(func.count())
        .select_from(conversations)
        .where(
            conversations.c.last_event_at < conv_cut,
            not_(
                exists().where(
                    conversation_events.c.conversation_id == conversations.c.id,
                    conversation_events.c.at >= conv_cut,
                )
            ),
        ),
        "tickets": select(func.count())
        .select_from(tickets)
        .where(_to_anonymise(days(policy.ticket_days))),
        "incidents": select(func.count())
        .select_from(incidents)
        .where(_incident_to_anonymise(days(policy.incident_days))),
        "voice_calls": select(func.count())
        .select_from(voice_calls)
        .where(_call_to_anonymise(days(policy.incident_days))),
        "voice_steps": select(func.count())
        .select_from(voice_steps)
        .where(voice_steps.c.at < days(VOICE_STEP_DAYS)),
        "audit": select(func.count())
        .select_from(audit_log)
        .where(audit_log.c.at < days(policy.audit_days)),
        "notifications": select(func.count())
        .select_from(notifications)
        .where(_old_notices(days(policy.notification_days))),
        "console_sessions": select(func.count())
        .select_from(console_sessions)
        .where(console_sessions.c.expires_at < now),
    }
    photos = select(tickets.c.media_urls).where(_with_photos(days(policy.effective_media_days)))
    async with engine.connect() as conn:
        counts = {kind: int((await conn.execute(q)).scalar_one()) for kind, q in queries.items()}
        links = (await conn.execute(photos)).scalars().all()
    counts["media"] = sum(1 for urls in links for url in urls or [] if _media_id(url))
    return {kind: counts[kind] for kind in KINDS}

"""Ticket storage: create (idempotently), find, and move through the workflow."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Sequence, Tuple

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import limits, live, notify, workflow
from backend.limits import Limit
from backend.tables import ticket_events, tickets
from lapor.catalogue import Service
from lapor.timeutil import WIB, aware, to_utc, utcnow

ID_PREFIX = "KDR"
MAX_RESULTS = 1000
HOUR = timedelta(hours=1)
# Who hears a ticket's live event (the console's queue, backend/console/tickets.py);
# staff and staff_head only of the ticket's department (backend/live.py).
LIVE_TOPIC = "ticket"
LIVE_ROLES = frozenset({"staff", "staff_head", "triage", "admin"})
# tickets.closure_state while the reporter has not said whether it is fixed.
CLOSURE_WAITING = "waiting"


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different request."""


class RateLimited(Exception):
    """The account created `limit` tickets in this hour already."""

    def __init__(self, recent: int, limit: int) -> None:
        super().__init__(f"{recent} tickets in the last hour (limit {limit})")
        self.recent = recent
        self.limit = limit


class TicketNotFound(LookupError):
    pass


class NotYourTicket(PermissionError):
    pass


@dataclass(frozen=True)
class NewTicket:
    service: Service
    description: str
    channel: str = "open311"
    address: str | None = None
    address_id: str | None = None
    lat: float | None = None
    long: float | None = None
    kelurahan_code: str | None = None
    media_urls: Tuple[str, ...] = ()
    attributes: Dict[str, Any] = field(default_factory=dict)
    account_id: str | None = None
    phone: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    device_id: str | None = None


@dataclass(frozen=True)
class Ticket:
    id: int
    service_request_id: str
    service_code: str
    agency_responsible: str
    description: str
    status: str
    workflow_status: str
    status_notes: str | None
    address: str | None
    address_id: str | None
    lat: float | None
    long: float | None
    kelurahan_code: str | None
    media_urls: List[str]
    attributes: Dict[str, Any]
    channel: str
    account_id: str | None
    phone: str | None
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime
    # Publication: staff verified the ticket (its text and photos may be shown
    # publicly, masked), and whether its exact place may be (else it is rounded).
    verified_at: datetime | None = None
    verified_by: str | None = None
    place_public: bool = False
    # The reporter's word on the fix (backend/closure.py).
    closure_state: str | None = None
    citizen_rating: int | None = None

    @classmethod
    def from_row(cls, row: Row) -> Ticket:
        data = row._mapping
        verified_at = data["verified_at"]
        return cls(
            **{name: data[name] for name in cls.__dataclass_fields__ if not name.endswith("_at")},
            requested_at=aware(data["requested_at"]),
            updated_at=aware(data["updated_at"]),
            expected_at=aware(data["expected_at"]),
            verified_at=aware(verified_at) if verified_at else None,
        )

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


@dataclass(frozen=True)
class Event:
    workflow_status: str
    note: str | None
    actor: str
    created_at: datetime
    kind: str = "status"  # see ticket_events.kind
    media_url: str | None = None
    lat: float | None = None
    long: float | None = None


@dataclass(frozen=True)
class Created:
    ticket: Ticket
    replayed: bool  # True when an earlier request with the same key made it


@dataclass(frozen=True)
class TicketQuery:
    service_request_ids: Sequence[str] = ()
    service_codes: Sequence[str] = ()
    statuses: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None
    account_id: str | None = None
    limit: int = MAX_RESULTS


async def create_ticket(
    engine: AsyncEngine,
    new: NewTicket,
    *,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    hourly_limit: int = 0,
    limit_key: str | None = None,
    now: datetime | None = None,
) -> Created:
    """A new ticket, or the one an earlier request with the same key made.

    `hourly_limit` caps new tickets per `limit_key` (default: the account_id;
    0: no cap). The count is taken in the insert's transaction, so concurrent
    requests cannot all pass a check made before any of them inserted; a
    replay is never limited, since it creates nothing.
    """
    earlier = await find_replay(engine, idempotency_key, fingerprint)
    if earlier:
        return Created(earlier, replayed=True)
    when = now or utcnow()
    who = limit_key or new.account_id
    try:
        async with engine.begin() as conn:
            if who:
                await limits.take(conn, Limit("tickets", hourly_limit, HOUR), who, now=when)
            ticket = await _insert(conn, new, idempotency_key, fingerprint, when)
            await announce(conn, ticket, "created")
    except limits.LimitExceeded as exc:
        raise RateLimited(exc.used, hourly_limit) from None
    except IntegrityError:
        # A concurrent request with the same key won the race: answer with its ticket.
        earlier = await find_replay(engine, idempotency_key, fingerprint)
        if earlier:
            return Created(earlier, replayed=True)
        raise
    return Created(ticket, replayed=False)


async def _insert(
    conn: AsyncConnection,
    new: NewTicket,
    idempotency_key: str | None,
    fingerprint: str | None,
    now: datetime,
) -> Ticket:
    values = {
        "service_request_id": f"pending-{uuid.uuid4().hex[:24]}",
        "service_code": new.service.code,
        "agency_responsible": new.service.department.code,
        "description": new.description,
        "status": workflow.OPEN311_STATUS[workflow.RECEIVED],
        "workflow_status": workflow.RECEIVED,
        "status_notes": None,
        "address": new.address,
        "address_id": new.address_id,
        "lat": new.lat,
        "long": new.long,
        "kelurahan_code": new.kelurahan_code,
        "media_urls": list(new.media_urls),
        "attributes": dict(new.attributes),
        "channel": new.channel,
        "account_id": new.account_id,
        "phone": new.phone,
        "email": new.email,
        "first_name": new.first_name,
        "last_name": new.last_name,
        "device_id": new.device_id,
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
        "requested_at": now,
        "updated_at": now,
        "expected_at": now + timedelta(days=new.service.sla_days),
    }
    result = await conn.execute(insert(tickets).values(values))
    ticket_id = int(result.inserted_primary_key[0])
    # The readable number comes from the primary key, so it needs no sequence
    # table and stays unique across replicas.
    readable = f"{ID_PREFIX}-{now.astimezone(WIB).year}-{ticket_id:06d}"
    await conn.execute(
        update(tickets).where(tickets.c.id == ticket_id).values(service_request_id=readable)
    )
    await record_event(conn, ticket_id, workflow.RECEIVED, None, f"pelapor ({new.channel})", now)
    row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).one()
    return Ticket.from_row(row)


async def find_replay(
    engine: AsyncEngine, key: str | None, fingerprint: str | None
) -> Ticket | None:
    """The ticket an earlier request with this key created; raises on a different request."""
    if not key:
        return None
    async with engine.connect() as conn:
        row = (await conn.execute(select(tickets).where(tickets.c.idempotency_key == key))).first()
    if row is None:
        return None
    if row._mapping["request_fingerprint"] != fingerprint:
        raise IdempotencyConflict(key)
    return Ticket.from_row(row)


async def get_ticket(engine: AsyncEngine, service_request_id: str) -> Ticket | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(tickets).where(tickets.c.service_request_id == service_request_id)
            )
        ).first()
    return Ticket.from_row(row) if row else None


async def find_tickets(engine: AsyncEngine, query: TicketQuery) -> List[Ticket]:
    statement = select(tickets).order_by(tickets.c.requested_at.desc(), tickets.c.id.desc())
    if query.service_request_ids:
        # Open311: a list of ids overrides every other filter.
        statement = statement.where(tickets.c.service_request_id.in_(query.service_request_ids))
    else:
        if query.service_codes:
            statement = statement.where(tickets.c.service_code.in_(query.service_codes))
        if query.statuses:
            statement = statement.where(tickets.c.status.in_(query.statuses))
        # In UTC, as stored: SQLite's DateTime drops an offset without converting,
        # so a bound given in WIB would be compared as if it were UTC.
        if query.start:
            statement = statement.where(tickets.c.requested_at >= to_utc(query.start))
        if query.end:
            statement = statement.where(tickets.c.requested_at <= to_utc(query.end))
        if query.account_id:
            statement = statement.where(tickets.c.account_id == query.account_id)
    async with engine.connect() as conn:
        rows = (await conn.execute(statement.limit(query.limit))).all()
    return [Ticket.from_row(row) for row in rows]


async def change_status(
    engine: AsyncEngine,
    service_request_id: str,
    new_status: str,
    *,
    note: str | None,
    actor: str,
    department: str | None,
    now: datetime | None = None,
    photo_url: str | None = None,
) -> Ticket:
    """Move a ticket; `department` None means an administrator (any ticket).
    `photo_url`: a stored photo that comes with the move (the finished work)."""
    when = now or utcnow()
    async with engine.begin() as conn:
        current = await locked(conn, service_request_id, department)
        workflow.check_transition(current.workflow_status, new_status, note)
        # Marked done, the reporter is asked whether it is fixed (backend/closure.py).
        asks = new_status == workflow.DONE and notify.recipient_of(current) is not None
        await conn.execute(
            update(tickets)
            .where(tickets.c.id == current.id)
            .values(
                workflow_status=new_status,
                status=workflow.OPEN311_STATUS[new_status],
                status_notes=(note or "").strip() or current.status_notes,
                updated_at=when,
                closure_state=CLOSURE_WAITING if asks else None,
                closure_asked_at=when if asks else None,
            )
        )
        await record_event(conn, current.id, new_status, note, actor, when, media_url=photo_url)
        purpose = notify.CLOSURE_CHECK if asks else notify.STATUS
        await notify.enqueue(conn, current, new_status, note, when, purpose, photo_url)
        # Reporters of duplicates merged into this ticket follow it (backend/merging.py).
        for follower in await _followers(conn, current.id):
            merged = f"(laporan Bapak/Ibu digabung ke {current.service_request_id})"
            shared = f"{(note or '').strip()} {merged}".strip()
            await notify.enqueue(conn, follower, new_status, shared, when)
        updated = (await conn.execute(select(tickets).where(tickets.c.id == current.id))).one()
        await announce(conn, current, "status")
    return Ticket.from_row(updated)


async def announce(
    conn: AsyncConnection, ticket: Any, change: str, department: str | None = None, **extra: Any
) -> None:
    """Tell the console's open pages of the department (default: the ticket's), in
    the change's transaction (live.publish: last)."""
    where = department or ticket.agency_responsible
    data = {
        "service_request_id": ticket.service_request_id,
        "change": change,
        "department": where,
        **extra,
    }
    await live.publish(conn, LIVE_TOPIC, data, LIVE_ROLES, department=where)


async def set_publication(
    engine: AsyncEngine,
    service_request_id: str,
    *,
    verified: bool,
    place_public: bool,
    actor: str,
    department: str | None,
    now: datetime | None = None,
) -> Ticket:
    """Verify a ticket for publication (or withdraw it); `department` None: an administrator.

    The change is recorded in the ticket's history in the same transaction. It
    leaves `updated_at` alone: that is the time of the last workflow change,
    which citizens are told about.
    """
    when = now or utcnow()
    async with engine.begin() as conn:
        current = await locked(conn, service_request_id, department)
        await conn.execute(
            update(tickets)
            .where(tickets.c.id == current.id)
            .values(
                verified_at=when if verified else None,
                verified_by=actor[:128] if verified else None,
                place_public=verified and place_public,
            )
        )
        note = _publication_note(verified, place_public)
        await record_event(conn, current.id, current.workflow_status, note, actor, when)
        updated = (await conn.execute(select(tickets).where(tickets.c.id == current.id))).one()
    return Ticket.from_row(updated)


def _publication_note(verified: bool, place_public: bool) -> str:
    # The history has no kind of event: the note says what happened, for staff.
    if not verified:
        return "Publikasi dicabut: deskripsi dan foto tidak lagi ditampilkan"
    if place_public:
        return "Diverifikasi untuk publikasi; lokasi persis ditampilkan"
    return "Diverifikasi untuk publikasi; lokasi dibulatkan (sekitar 100 m)"


async def locked(conn: AsyncConnection, service_request_id: str, department: str | None) -> Ticket:
    """The ticket, locked for this transaction, if `department` (None: any) may change it."""
    # FOR UPDATE serialises concurrent changes on PostgreSQL (SQLite has a
    # single writer anyway and ignores it).
    row = (
        await conn.execute(
            select(tickets)
            .where(tickets.c.service_request_id == service_request_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise TicketNotFound(service_request_id)
    current = Ticket.from_row(row)
    if department is not None and current.agency_responsible != department:
        raise NotYourTicket(service_request_id)
    return current


async def history(engine: AsyncEngine, ticket_id: int) -> List[Event]:
    statement = (
        select(ticket_events)
        .where(ticket_events.c.ticket_id == ticket_id)
        .order_by(ticket_events.c.id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(statement)).all()
    return [
        Event(
            workflow_status=r.workflow_status,
            note=r.note,
            actor=r.actor,
            created_at=aware(r.created_at),
            kind=r.kind,
            media_url=r.media_url,
            lat=r.lat,
            long=r.long,
        )
        for r in rows
    ]


async def record_event(
    conn: AsyncConnection,
    ticket_id: int,
    status: str,
    note: str | None,
    actor: str,
    when: datetime,
    kind: str = "status",
    media_url: str | None = None,
    pin: Tuple[float, float] | None = None,
    key: str | None = None,
) -> None:
    """One history entry, in the caller's transaction: a status move, or a
    transfer, merge or escalation (backend/routing.py, merging.py, deadlines.py),
    or words with the citizen (backend/asking.py, closure.py); `key` an
    answer's idempotency key."""
    await conn.execute(
        insert(ticket_events).values(
            ticket_id=ticket_id,
            workflow_status=status,
            note=(note or "").strip() or None,
            actor=actor,
            created_at=when,
            kind=kind,
            media_url=media_url,
            lat=pin[0] if pin else None,
            long=pin[1] if pin else None,
            key=key,
        )
    )
    await conn.execute(
        update(tickets)
        .where(tickets.c.id == ticket_id)
        .values(**_timings(status, actor, kind, when))
    )


# Who in a ticket's history is not the city answering: the report itself
# ("pelapor (whatsapp)"), the citizen's words and the clock (deadlines, closure checks).
NOT_STAFF = ("Pelapor (warga)", "system")


def answered_by_city(actor: str, kind: str) -> bool:
    return not actor.startswith("pelapor (") and actor not in NOT_STAFF and kind != "escalation"


def _timings(status: str, actor: str, kind: str, when: datetime) -> Dict[str, Any]:
    """The ticket's first response and resolution times after this entry
    (read by the monitoring figures, backend/monev/)."""
    values: Dict[str, Any] = {}
    if answered_by_city(actor, kind):
        values["first_response_at"] = func.coalesce(tickets.c.first_response_at, when)
    closed = workflow.OPEN311_STATUS.get(status) == "closed"
    values["resolved_at"] = func.coalesce(tickets.c.resolved_at, when) if closed else None
    return values


async def _followers(conn: AsyncConnection, ticket_id: int) -> List[Any]:
    """Tickets merged into this one (their reporters hear of its progress)."""
    statement = select(tickets).where(tickets.c.merged_into_id == ticket_id)
    return list((await conn.execute(statement)).all())

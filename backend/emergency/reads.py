"""Reading incidents for the 112 console (backend/console/incidents.py): the
board, one incident with its timeline and sends, and the sender's history
the operator triages with (earlier incidents, filed reports, prank messages).

Read-only and free of HTTP; every change goes through incidents.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.emergency.incidents import OPEN, RESOLVED
from backend.tables import (
    conversation_events,
    conversations,
    incident_events,
    incident_sends,
    incidents,
    tickets,
    users,
)
from lapor.timeutil import aware

RECENTLY_RESOLVED = 10
HISTORY_LIMIT = 20
# Timeline rows that are the citizen speaking (backend/emergency/citizen.py).
CITIZEN_KINDS = frozenset({"citizen_message", "location", "photo", "voice_note"})
PRANK_INTENT = "prank"

_i = incidents.c
_e = incident_events.c
_s = incident_sends.c


@dataclass(frozen=True)
class Incident:
    """One incident as the console shows it."""

    id: int
    key: str
    kind: str
    state: str
    channel: str
    conversation_key: str
    has_contact: bool  # the sealed number itself never leaves reads.py
    text: Optional[str]
    location_text: Optional[str]
    kelurahan: Optional[str]
    latitude: Optional[float]
    longitude: Optional[float]
    transcript: List[Dict[str, Any]]
    owner_id: Optional[int]
    owner_name: Optional[str]
    received_at: datetime
    alerted_at: Optional[datetime]
    seen_at: Optional[datetime]
    accepted_at: Optional[datetime]
    escalated_at: Optional[datetime]
    resolved_at: Optional[datetime]
    resolution: Optional[str]

    @property
    def has_pin(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None

    @property
    def place_known(self) -> bool:
        return bool(self.location_text or self.kelurahan or self.has_pin)


@dataclass(frozen=True)
class Entry:
    """One line of an incident's timeline."""

    id: int
    at: datetime
    kind: str
    actor_name: Optional[str]
    text: Optional[str]
    data: Dict[str, Any] = field(default_factory=dict)

    @property
    def from_citizen(self) -> bool:
        return self.kind in CITIZEN_KINDS

    @property
    def photos(self) -> List[str]:
        urls = self.data.get("media_urls")
        return [u for u in urls if isinstance(u, str)] if isinstance(urls, list) else []


@dataclass(frozen=True)
class Send:
    """Something the incident made the system send, and whether it went out."""

    id: int
    kind: str  # message, pause, resume, call
    state: str  # pending, done, failed
    attempts: int
    last_error: Optional[str]
    created_at: datetime
    done_at: Optional[datetime]
    text: Optional[str]  # a message's words (a call's number stays hidden)


@dataclass(frozen=True)
class Ticket:
    service_request_id: str
    service_code: str
    workflow_status: str
    requested_at: datetime


@dataclass(frozen=True)
class History:
    """What the sender did before, for triage."""

    incidents: List[Incident]
    tickets: List[Ticket]
    pranks: int

    @property
    def empty(self) -> bool:
        return not (self.incidents or self.tickets or self.pranks)


@dataclass(frozen=True)
class Board:
    unresolved: List[Incident]  # open (escalated first, then oldest), then accepted (oldest)
    resolved: List[Incident]  # the most recent ones


# -- the board ---------------------------------------------------------------


async def board(engine: AsyncEngine) -> Board:
    async with engine.connect() as conn:
        rows = await conn.execute(_with_owner().where(_i.state != RESOLVED))
        unresolved = sorted((_incident(r) for r in rows), key=_board_order)
        recent = await conn.execute(
            _with_owner()
            .where(_i.state == RESOLVED)
            .order_by(_i.resolved_at.desc(), _i.id.desc())
            .limit(RECENTLY_RESOLVED)
        )
        resolved = [_incident(r) for r in recent]
    return Board(unresolved, resolved)


def _board_order(item: Incident) -> Tuple[int, int, datetime, int]:
    """Open before accepted; among open ones, escalated first; then the oldest."""
    is_open = item.state == OPEN
    return (0 if is_open else 1, 0 if is_open and item.escalated else 1, item.received_at, item.id)


# -- one incident ------------------------------------------------------------


async def incident(engine: AsyncEngine, incident_id: int) -> Optional[Incident]:
    async with engine.connect() as conn:
        row = (await conn.execute(_with_owner().where(_i.id == incident_id))).first()
    return None if row is None else _incident(row)


async def timeline(engine: AsyncEngine, incident_id: int) -> List[Entry]:
    """Everything that happened to the incident, oldest first."""
    statement = (
        select(incident_events, users.c.display_name.label("actor_name"))
        .select_from(incident_events.outerjoin(users, users.c.id == _e.actor_id))
        .where(_e.incident_id == incident_id)
        .order_by(_e.at, _e.id)
    )
    async with engine.connect() as conn:
        rows = await conn.execute(statement)
        return [
            Entry(
                int(r.id),
                aware(r.at),
                r.kind,
                r.actor_name,
                r.text,
                dict(r.data) if isinstance(r.data, dict) else {},
            )
            for r in rows
        ]


def citizen_messages(entries: Sequence[Entry], received_at: datetime) -> List[Entry]:
    """What the citizen sent after the incident was raised (text, pins, photos)."""
    # The place given with the report itself is a `location` row at received_at.
    return [e for e in entries if e.from_citizen and e.at > received_at]


async def deliveries(engine: AsyncEngine, incident_id: int) -> List[Send]:
    statement = select(incident_sends).where(_s.incident_id == incident_id).order_by(_s.id)
    async with engine.connect() as conn:
        rows = await conn.execute(statement)
        return [
            Send(
                int(r.id),
                r.kind,
                r.state,
                int(r.attempts or 0),
                r.last_error,
                aware(r.created_at),
                aware(r.done_at) if r.done_at else None,
                _message_text(r.kind, r.payload),
            )
            for r in rows
        ]


def _message_text(kind: str, payload: Any) -> Optional[str]:
    if kind != "message" or not isinstance(payload, dict):
        return None
    text = payload.get("text")
    return text if isinstance(text, str) else None


# -- the sender's history ----------------------------------------------------


async def history(engine: AsyncEngine, current: Incident) -> History:
    """Earlier incidents of the same conversation (or sealed contact), its tickets
    and how many of its messages the NLU read as a prank."""
    async with engine.connect() as conn:
        same_sender = _i.conversation_key == current.conversation_key
        if current.has_contact:
            contact = select(_i.contact).where(_i.id == current.id).scalar_subquery()
            same_sender = or_(same_sender, _i.contact == contact)
        rows = await conn.execute(
            _with_owner()
            .where(same_sender, _i.id != current.id, _i.received_at <= current.received_at)
            .order_by(_i.received_at.desc(), _i.id.desc())
            .limit(HISTORY_LIMIT)
        )
        earlier = [_incident(r) for r in rows]
        filed = await _tickets(conn, current.conversation_key)
        pranks = (await prank_counts(conn, [current.conversation_key])).get(
            current.conversation_key, 0
        )
    return History(earlier, filed, pranks)


async def _tickets(conn: AsyncConnection, account_id: str) -> List[Ticket]:
    t = tickets.c
    rows = await conn.execute(
        select(t.service_request_id, t.service_code, t.workflow_status, t.requested_at)
        .where(t.account_id == account_id)
        .order_by(t.requested_at.desc(), t.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        Ticket(r.service_request_id, r.service_code, r.workflow_status, aware(r.requested_at))
        for r in rows
    ]


async def prank_counts(conn: AsyncConnection, keys: Sequence[str]) -> Dict[str, int]:
    """Per conversation key: the citizen's messages the NLU classified as a prank."""
    if not keys:
        return {}
    c, e = conversations.c, conversation_events.c
    rows = await conn.execute(
        select(c.sender_key, func.count(e.id))
        .select_from(conversation_events.join(conversations, c.id == e.conversation_id))
        .where(c.sender_key.in_(list(keys)), e.kind == "user", e.intent == PRANK_INTENT)
        .group_by(c.sender_key)
    )
    return {key: int(count) for key, count in rows}


@dataclass(frozen=True)
class Counts:
    """A board row's short history: earlier incidents, reports, prank messages."""

    incidents: int = 0
    tickets: int = 0
    pranks: int = 0


async def history_counts(engine: AsyncEngine, items: Sequence[Incident]) -> Dict[int, Counts]:
    """Per incident id, its sender's history as counts (three queries for the whole board)."""
    keys = sorted({i.conversation_key for i in items})
    if not keys:
        return {}
    async with engine.connect() as conn:
        earlier = await _earlier_counts(conn, items)
        t = tickets.c
        filed = dict(
            (
                await conn.execute(
                    select(t.account_id, func.count(t.id))
                    .where(t.account_id.in_(keys))
                    .group_by(t.account_id)
                )
            ).all()
        )
        pranks = await prank_counts(conn, keys)
    return {
        i.id: Counts(
            earlier.get(i.id, 0),
            int(filed.get(i.conversation_key, 0)),
            pranks.get(i.conversation_key, 0),
        )
        for i in items
    }


async def _earlier_counts(conn: AsyncConnection, items: Sequence[Incident]) -> Dict[int, int]:
    """Per incident id, how many incidents its conversation raised before it."""
    other = incidents.alias("other")
    o = other.c
    rows = await conn.execute(
        select(_i.id, func.count(o.id))
        .select_from(
            incidents.join(
                other,
                and_(
                    o.conversation_key == _i.conversation_key,
                    o.id != _i.id,
                    o.received_at <= _i.received_at,
                ),
            )
        )
        .where(_i.id.in_([i.id for i in items]))
        .group_by(_i.id)
    )
    return {int(incident_id): int(count) for incident_id, count in rows}


# -- rows --------------------------------------------------------------------


def _with_owner() -> Any:
    return select(incidents, users.c.display_name.label("owner_name")).select_from(
        incidents.outerjoin(users, users.c.id == _i.owner_id)
    )


def _maybe(value: Optional[datetime]) -> Optional[datetime]:
    return aware(value) if value is not None else None


def _incident(row: Any) -> Incident:
    transcript = row.transcript if isinstance(row.transcript, list) else []
    return Incident(
        id=int(row.id),
        key=row.key,
        kind=row.kind,
        state=row.state,
        channel=row.channel,
        conversation_key=row.conversation_key,
        has_contact=bool(row.contact),
        text=row.text,
        location_text=row.location_text,
        kelurahan=row.kelurahan,
        latitude=row.latitude,
        longitude=row.longitude,
        transcript=[m for m in transcript if isinstance(m, dict)],
        owner_id=row.owner_id,
        owner_name=row.owner_name,
        received_at=aware(row.received_at),
        alerted_at=_maybe(row.alerted_at),
        seen_at=_maybe(row.seen_at),
        accepted_at=_maybe(row.accepted_at),
        escalated_at=_maybe(row.escalated_at),
        resolved_at=_maybe(row.resolved_at),
        resolution=row.resolution,
    )

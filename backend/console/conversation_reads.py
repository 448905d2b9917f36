"""Reading conversations as the pipeline stored them (backend/pipeline/):
lists, searches, one transcript, and the tickets a conversation filed.

Read-only and free of HTTP, so every console page that shows conversations
(the viewer, later the operators' relay and the editors' inbox) reads them
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.tables import conversation_events, conversations, tickets
from lapor.contact import PSEUDONYM_PREFIX
from lapor.timeutil import aware

PAGE_SIZE = 25
SEARCH_LIMIT = 50
TRANSCRIPT_LIMIT = 1000  # the newest events of a very long conversation; older ones are counted
PREVIEW_CHARS = 120


@dataclass(frozen=True)
class Summary:
    """One conversation in a list."""

    id: int
    sender_key: str
    channel: Optional[str]
    started_at: datetime
    last_event_at: datetime
    user_messages: int
    bot_messages: int
    preview: Optional[str] = None  # the citizen's first message, shortened


@dataclass(frozen=True)
class Event:
    """One line of a transcript."""

    id: int
    kind: str  # user, bot, action, session
    at: datetime
    text: Optional[str]
    intent: Optional[str]
    confidence: Optional[float]
    entities: List[Dict[str, Any]]
    action: Optional[str]
    channel: Optional[str]
    origin: Optional[str]
    data: Dict[str, Any] = field(default_factory=dict)

    @property
    def buttons(self) -> List[str]:
        """The titles of a bot message's buttons."""
        raw = self.data.get("buttons")
        if not isinstance(raw, list):
            return []
        return [str(b.get("title") or b.get("payload") or "") for b in raw if isinstance(b, dict)]


@dataclass(frozen=True)
class Transcript:
    events: List[Event]
    omitted: int  # older events not shown (beyond TRANSCRIPT_LIMIT)


@dataclass(frozen=True)
class FiledTicket:
    service_request_id: str
    service_code: str
    workflow_status: str
    requested_at: datetime


@dataclass(frozen=True)
class Page:
    items: List[Summary]
    next_cursor: Optional[str]  # for the next (older) page, None on the last


# -- lists and searches -----------------------------------------------------


async def recent(engine: AsyncEngine, cursor: Optional[str] = None) -> Page:
    """The conversations most recently active, newest first, a page at a time.

    The cursor is the last row's (last_event_at, id): a page stays correct
    while conversations move to the top (no offset that shifts under it)."""
    c = conversations.c
    statement = select(conversations).order_by(c.last_event_at.desc(), c.id.desc())
    if cursor is not None:
        at, last_id = parse_cursor(cursor)
        statement = statement.where(
            or_(c.last_event_at < at, and_(c.last_event_at == at, c.id < last_id))
        )
    async with engine.connect() as conn:
        rows = list(await conn.execute(statement.limit(PAGE_SIZE + 1)))
    items = await _with_previews(engine, [_summary(r) for r in rows[:PAGE_SIZE]])
    more = len(rows) > PAGE_SIZE
    return Page(items, make_cursor(items[-1]) if more and items else None)


async def by_sender(engine: AsyncEngine, query: str) -> List[Summary]:
    """Conversations whose pseudonym is `query` or starts with it.

    A WhatsApp pseudonym reads 'whatsapp:p-<hex>'; people copy just the hex
    part, so a query is also tried after that prefix. Only a query of at
    least `MIN_PREFIX` distinctive characters matches as a prefix: shorter
    ones would list a large part of the city."""
    c = conversations.c
    conditions = [c.sender_key == query]
    if len(distinctive(query)) >= MIN_PREFIX:
        conditions.append(c.sender_key.like(_like_prefix(query), escape="\\"))
        if not query.startswith(PSEUDONYM_PREFIX):
            conditions.append(
                c.sender_key.like(_like_prefix(PSEUDONYM_PREFIX + query), escape="\\")
            )
    statement = (
        select(conversations)
        .where(or_(*conditions))
        .order_by(c.last_event_at.desc(), c.id.desc())
        .limit(SEARCH_LIMIT)
    )
    async with engine.connect() as conn:
        rows = list(await conn.execute(statement))
    return await _with_previews(engine, [_summary(r) for r in rows])


MIN_PREFIX = 6


def distinctive(query: str) -> str:
    """The part of a pseudonym that tells conversations apart."""
    return query[len(PSEUDONYM_PREFIX) :] if query.startswith(PSEUDONYM_PREFIX) else query


async def ticket_sender(engine: AsyncEngine, service_request_id: str) -> Tuple[bool, Optional[str]]:
    """(whether the ticket exists, the sender key of the chat that filed it).

    Chat channels file tickets with account_id = Rasa's sender id, which is
    the conversation's sender_key (actions/report.py, backend/pipeline/)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(tickets.c.account_id).where(
                    tickets.c.service_request_id == service_request_id
                )
            )
        ).first()
    if row is None:
        return False, None
    return True, row.account_id or None


async def by_ticket(engine: AsyncEngine, service_request_id: str) -> Tuple[bool, List[Summary]]:
    """(whether the ticket exists, the conversation that filed it, if stored)."""
    exists, sender = await ticket_sender(engine, service_request_id)
    if sender is None:
        return exists, []
    async with engine.connect() as conn:
        rows = list(
            await conn.execute(select(conversations).where(conversations.c.sender_key == sender))
        )
    return exists, await _with_previews(engine, [_summary(r) for r in rows])


# -- one conversation -------------------------------------------------------


async def conversation(engine: AsyncEngine, conversation_id: int) -> Optional[Summary]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(conversations).where(conversations.c.id == conversation_id))
        ).first()
    return None if row is None else _summary(row)


async def transcript(
    engine: AsyncEngine, conversation_id: int, limit: int = TRANSCRIPT_LIMIT
) -> Transcript:
    """The conversation's events, oldest first (the newest `limit` of them)."""
    e = conversation_events.c
    mine = e.conversation_id == conversation_id
    async with engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(conversation_events)
                .where(mine)
                .order_by(e.at.desc(), e.id.desc())
                .limit(limit)
            )
        )
        total = len(rows)
        if total == limit:
            total = int((await conn.execute(select(func.count()).where(mine))).scalar() or 0)
    events = [_event(r) for r in reversed(rows)]
    return Transcript(events, total - len(events))


async def filed_tickets(engine: AsyncEngine, sender_key: str) -> List[FiledTicket]:
    """The tickets a conversation filed (oldest first)."""
    t = tickets.c
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(t.service_request_id, t.service_code, t.workflow_status, t.requested_at)
            .where(t.account_id == sender_key)
            .order_by(t.requested_at, t.id)
        )
        return [
            FiledTicket(
                r.service_request_id, r.service_code, r.workflow_status, aware(r.requested_at)
            )
            for r in rows
        ]


# -- cursors ----------------------------------------------------------------


class BadCursor(ValueError):
    pass


def make_cursor(item: Summary) -> str:
    micros = int(aware(item.last_event_at).timestamp() * 1_000_000)
    return f"{micros}.{item.id}"


def parse_cursor(raw: str) -> Tuple[datetime, int]:
    micros, _, last_id = raw.partition(".")
    if not (micros.isdigit() and last_id.isdigit() and len(raw) <= 40):
        raise BadCursor(raw)
    try:
        at = datetime.fromtimestamp(int(micros) / 1_000_000, tz=timezone.utc)
    except (OverflowError, ValueError, OSError) as exc:
        raise BadCursor(raw) from exc
    return at, int(last_id)


# -- rows -------------------------------------------------------------------


async def _with_previews(engine: AsyncEngine, items: Sequence[Summary]) -> List[Summary]:
    """Each conversation with its citizen's first message (two queries, not one per row)."""
    if not items:
        return []
    e = conversation_events.c
    first = (
        select(func.min(e.id).label("id"))
        .where(e.conversation_id.in_([i.id for i in items]), e.kind == "user")
        .group_by(e.conversation_id)
    )
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(e.conversation_id, e.text).where(e.id.in_(first.scalar_subquery()))
        )
        texts = {int(r.conversation_id): r.text for r in rows}
    return [_replace_preview(i, _shorten(texts.get(i.id))) for i in items]


def _replace_preview(item: Summary, preview: Optional[str]) -> Summary:
    return Summary(**{**item.__dict__, "preview": preview})


def _shorten(text: Optional[str]) -> Optional[str]:
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1].rstrip() + "…"


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _summary(row: Any) -> Summary:
    return Summary(
        int(row.id),
        row.sender_key,
        row.channel,
        aware(row.started_at),
        aware(row.last_event_at),
        int(row.user_messages or 0),
        int(row.bot_messages or 0),
    )


def _event(row: Any) -> Event:
    return Event(
        int(row.id),
        row.kind,
        aware(row.at),
        row.text,
        row.intent,
        None if row.confidence is None else float(row.confidence),
        [x for x in (row.entities or []) if isinstance(x, dict)],
        row.action,
        row.channel,
        row.origin,
        dict(row.data) if isinstance(row.data, dict) else {},
    )

"""Reading 112 calls for the operators' console (backend/console/calls.py):
the callers waiting in Twilio's queues, the dropped calls nobody called
back yet, the last day's calls, and one caller's history.

Read-only and free of HTTP; every change goes through calls.py and
operators.py. A call's `speech` is stored masked, so it is shown as it is;
the sealed number never leaves this module (only whether there is one).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.emergency.incidents import RESOLVED
from backend.tables import incidents, tickets, voice_calls
from backend.voice import calls
from backend.voice.line import Line
from lapor import channels
from lapor.timeutil import aware, utcnow

RECENT = timedelta(hours=24)
RECENT_LIMIT = 100
# A withheld number's calls share no pseudonym (calls.arrival): nothing to look up.
ANONYMOUS = "anonymous:"

_c = voice_calls.c
_i = incidents.c


@dataclass(frozen=True)
class Call:
    """One call as the console shows it."""

    id: int
    call_sid: str
    caller: str
    state: str
    kind: Optional[str]  # the call's class: valid, information, prank, ghost (None: unsorted)
    route: Optional[str]  # speech, keys, silent55
    queue: Optional[str]  # main, prank
    cannot_speak: bool
    dropped: bool
    speech: Optional[str]  # masked when stored
    digits: Optional[str]
    incident_id: Optional[int]
    incident_state: Optional[str]
    has_contact: bool
    started_at: datetime
    queued_at: Optional[datetime]
    ended_at: Optional[datetime]
    message_kind: Optional[str]
    message_state: str

    @property
    def in_prank_queue(self) -> bool:
        return self.queue == calls.PRANK_QUEUE

    def waiting_seconds(self, now: Optional[datetime] = None) -> int:
        since = self.queued_at or self.started_at
        return max(0, int(((now or utcnow()) - since).total_seconds()))


@dataclass(frozen=True)
class History:
    """What a caller did before, for the operator who picks up."""

    caller: str
    calls: Dict[Optional[str], int] = field(default_factory=dict)  # earlier calls per class
    chats: int = 0  # emergencies they raised on WhatsApp (conversation_key = caller)
    tickets: int = 0  # complaints they filed on WhatsApp (tickets.account_id = caller)
    pranks: int = 0  # pranks in the current period, as the queue counts them
    prank_limit: int = 0

    @property
    def earlier_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def flagged(self) -> bool:
        """The number goes to the prank queue (a supervisor may clear it)."""
        return self.prank_limit > 0 and self.pranks >= self.prank_limit

    @property
    def empty(self) -> bool:
        return not (self.earlier_calls or self.chats or self.tickets or self.pranks)


async def waiting(engine: AsyncEngine) -> List[Call]:
    """Callers in a queue now: the main queue first, then the prank queue; oldest first."""
    statement = (
        _calls()
        .where(_c.state == calls.QUEUED)
        .order_by(
            case((_c.queue == calls.PRANK_QUEUE, 1), else_=0),
            func.coalesce(_c.queued_at, _c.started_at),
            _c.id,
        )
    )
    async with engine.connect() as conn:
        return [_call(r) for r in await conn.execute(statement)]


async def dropped(engine: AsyncEngine) -> List[Call]:
    """Callers who hung up in the queue and whose incident is not resolved: call them back."""
    statement = (
        _calls()
        .where(_c.dropped.is_(True), _i.state != RESOLVED)
        .order_by(_c.ended_at.desc(), _c.id.desc())
    )
    async with engine.connect() as conn:
        return [_call(r) for r in await conn.execute(statement)]


async def recent(engine: AsyncEngine, now: Optional[datetime] = None) -> List[Call]:
    """The calls of the last 24 hours, newest first."""
    since = (now or utcnow()) - RECENT
    statement = (
        _calls()
        .where(_c.started_at >= since)
        .order_by(_c.started_at.desc(), _c.id.desc())
        .limit(RECENT_LIMIT)
    )
    async with engine.connect() as conn:
        return [_call(r) for r in await conn.execute(statement)]


async def call(engine: AsyncEngine, call_id: int) -> Optional[Call]:
    async with engine.connect() as conn:
        row = (await conn.execute(_calls().where(_c.id == call_id))).first()
    return None if row is None else _call(row)


async def of_incident(engine: AsyncEngine, incident_id: int) -> Optional[Call]:
    """The call that raised this incident (None: a chat emergency)."""
    statement = _calls().where(_c.incident_id == incident_id).order_by(_c.id.desc()).limit(1)
    async with engine.connect() as conn:
        row = (await conn.execute(statement)).first()
    return None if row is None else _call(row)


async def history(
    engine: AsyncEngine, caller: str, line: Line, before: Optional[int] = None
) -> History:
    """The caller's earlier calls (before call `before`, when given), chats and tickets."""
    if caller.startswith(ANONYMOUS):
        return History(caller, prank_limit=line.prank_limit)
    async with engine.connect() as conn:
        return await _history(conn, caller, line, before, utcnow())


async def histories(engine: AsyncEngine, shown: Sequence[Call], line: Line) -> Dict[int, History]:
    """Per call id, its caller's history before it (a queue is short: one read per call)."""
    now = utcnow()
    found: Dict[int, History] = {}
    async with engine.connect() as conn:
        for item in shown:
            if item.caller.startswith(ANONYMOUS):
                found[item.id] = History(item.caller, prank_limit=line.prank_limit)
            else:
                found[item.id] = await _history(conn, item.caller, line, item.id, now)
    return found


async def _history(
    conn: AsyncConnection, caller: str, line: Line, before: Optional[int], now: datetime
) -> History:
    earlier = _c.caller == caller
    if before is not None:
        earlier = and_(earlier, _c.id < before)
    rows = await conn.execute(
        select(_c["class"], func.count()).where(earlier).group_by(_c["class"])
    )
    per_class: Counter = Counter()
    for kind, count in rows:
        per_class[kind] += int(count)
    chats = (
        await conn.execute(
            select(func.count())
            .select_from(incidents)
            .where(_i.conversation_key == caller, _i.channel != channels.PHONE)
        )
    ).scalar()
    filed = (
        await conn.execute(
            select(func.count()).select_from(tickets).where(tickets.c.account_id == caller)
        )
    ).scalar()
    pranks = await calls.prank_count(conn, caller, line.prank_period, now)
    return History(
        caller,
        dict(per_class),
        int(chats or 0),
        int(filed or 0),
        pranks,
        line.prank_limit,
    )


def _calls() -> Any:
    return select(voice_calls, _i.state.label("incident_state")).select_from(
        voice_calls.outerjoin(incidents, _i.id == _c.incident_id)
    )


def _maybe(value: Optional[datetime]) -> Optional[datetime]:
    return aware(value) if value is not None else None


def _call(row: Any) -> Call:
    values = row._mapping
    return Call(
        id=int(row.id),
        call_sid=row.call_sid,
        caller=row.caller,
        state=row.state,
        kind=values["class"],
        route=row.route,
        queue=row.queue,
        cannot_speak=bool(row.cannot_speak),
        dropped=bool(row.dropped),
        speech=row.speech,
        digits=row.digits,
        incident_id=int(row.incident_id) if row.incident_id is not None else None,
        incident_state=row.incident_state,
        has_contact=bool(row.contact),
        started_at=aware(row.started_at),
        queued_at=_maybe(row.queued_at),
        ended_at=_maybe(row.ended_at),
        message_kind=row.message_kind,
        message_state=row.message_state or "none",
    )

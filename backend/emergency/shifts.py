"""Which 112 operators are on duty.

An operator starts a shift with "Mulai bertugas" and ends it with "Selesai
bertugas". A shift counts only while its console is open: the console's live
stream touches it every few seconds (backend/console/events.py), so an
operator who closed the browser or lost the network stops counting within
`FRESH`, and the citizen is never told an operator is being reached when
nobody is watching. Kept in the database: every replica sees every shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, List, Optional

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.tables import operator_shifts, users
from lapor.timeutil import utcnow

OPERATOR_ROLES = frozenset({"operator", "operator_supervisor"})
# Longer than two of the live stream's touches (TOUCH_EVERY), so one late touch is no gap.
FRESH = timedelta(seconds=40)
TOUCH_EVERY = 10.0
MAX_PHONE = 32

_s = operator_shifts.c


@dataclass(frozen=True)
class Shift:
    id: int
    user_id: int
    phone: Optional[str]
    started_at: datetime


async def start(engine: AsyncEngine, user_id: int, phone: Optional[str]) -> Shift:
    """Opens a shift (or refreshes the open one, with the new desk phone)."""
    now = utcnow()
    phone = (phone or "").strip()[:MAX_PHONE] or None
    async with engine.begin() as conn:
        current = await _open(conn, user_id)
        if current is not None:
            await conn.execute(
                update(operator_shifts)
                .where(_s.id == current.id)
                .values(phone=phone or current.phone, last_seen_at=now)
            )
            return Shift(current.id, user_id, phone or current.phone, current.started_at)
        result = await conn.execute(
            insert(operator_shifts).values(
                user_id=user_id, phone=phone, started_at=now, last_seen_at=now
            )
        )
        return Shift(int(result.inserted_primary_key[0]), user_id, phone, now)


async def end(engine: AsyncEngine, user_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(operator_shifts)
            .where(_s.user_id == user_id, _s.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


async def current(engine: AsyncEngine, user_id: int) -> Optional[Shift]:
    async with engine.connect() as conn:
        row = await _open(conn, user_id)
    return Shift(row.id, row.user_id, row.phone, row.started_at) if row else None


async def touch(engine: AsyncEngine, user_id: int) -> None:
    """The operator's console is open: their shift (if any) counts a while longer."""
    async with engine.begin() as conn:
        await conn.execute(
            update(operator_shifts)
            .where(_s.user_id == user_id, _s.ended_at.is_(None))
            .values(last_seen_at=utcnow())
        )


async def on_duty_count(conn: AsyncConnection, now: Optional[datetime] = None) -> int:
    """Operators with an open shift whose console was seen within FRESH."""
    since = (now or utcnow()) - FRESH
    statement = select(func.count(func.distinct(_s.user_id))).where(
        _s.ended_at.is_(None), _s.last_seen_at >= since
    )
    return int((await conn.execute(statement)).scalar_one())


async def on_duty(engine: AsyncEngine) -> List[Any]:
    """Who is on duty now: (user id, display name, desk phone), for the console."""
    since = utcnow() - FRESH
    statement = (
        select(users.c.id, users.c.display_name, _s.phone, _s.started_at)
        .join(users, users.c.id == _s.user_id)
        .where(_s.ended_at.is_(None), _s.last_seen_at >= since)
        .order_by(_s.started_at)
    )
    async with engine.connect() as conn:
        return list((await conn.execute(statement)).all())


async def _open(conn: AsyncConnection, user_id: int) -> Any:
    statement = (
        select(operator_shifts)
        .where(_s.user_id == user_id, _s.ended_at.is_(None))
        .order_by(_s.id.desc())
        .limit(1)
    )
    return (await conn.execute(statement)).first()

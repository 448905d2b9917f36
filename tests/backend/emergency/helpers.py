"""Filing incidents and putting operators on duty, straight through the domain layer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, List, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import people
from backend.emergency import incidents, shifts
from backend.tables import incident_events, incident_sends
from backend.tables import incidents as incident_table
from lapor.timeutil import utcnow

DHOHO = incidents.Place(text="Jl. Dhoho 12", kelurahan="Kemasan")


def report(
    kind: str = "emergency_fire",
    channel: str = "web",
    conversation_id: Optional[str] = None,
    contact: Optional[str] = None,
    place: incidents.Place = DHOHO,
    received_at: Optional[datetime] = None,
    key: Optional[str] = None,
) -> incidents.Report:
    return incidents.Report(
        key=key or uuid.uuid4().hex,
        kind=kind,
        channel=channel,
        conversation_id=conversation_id or uuid.uuid4().hex,
        text="tolong ada kebakaran rumah di jl dhoho, hp saya 081234567890",
        received_at=received_at or utcnow() - timedelta(seconds=2),
        contact=contact,
        place=place,
        transcript=[{"who": "user", "text": "tolong ada kebakaran", "at": utcnow().isoformat()}],
    )


async def on_duty(engine: AsyncEngine, user_id: int, phone: Optional[str] = None) -> None:
    await shifts.start(engine, user_id, phone)


async def incident(engine: AsyncEngine, incident_id: int) -> Any:
    async with engine.connect() as conn:
        statement = select(incident_table).where(incident_table.c.id == incident_id)
        return (await conn.execute(statement)).one()


async def timeline(engine: AsyncEngine, incident_id: int) -> List[str]:
    statement = (
        select(incident_events.c.kind)
        .where(incident_events.c.incident_id == incident_id)
        .order_by(incident_events.c.at, incident_events.c.id)
    )
    async with engine.connect() as conn:
        return list((await conn.execute(statement)).scalars())


async def queued(engine: AsyncEngine, incident_id: int) -> List[Any]:
    statement = (
        select(incident_sends)
        .where(incident_sends.c.incident_id == incident_id)
        .order_by(incident_sends.c.id)
    )
    async with engine.connect() as conn:
        return list((await conn.execute(statement)).all())


async def taken(engine: AsyncEngine, operator: people.Person, **kwargs: Any) -> incidents.Filed:
    """An incident filed and accepted by `operator` (the bot paused, the citizen told)."""
    filed = await incidents.file(engine, report(**kwargs))
    await incidents.accept(engine, filed.id, operator)
    return filed

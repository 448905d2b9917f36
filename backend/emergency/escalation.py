"""Nobody left alone: an incident no operator accepted in time is escalated.

Every backend replica checks once a second; an incident is escalated once
(a conditional update claims it), in one transaction with its timeline
entry, its second alert to every operator and shift lead, the citizen's
reminder to call 112 and, when no operator is on duty at all, a voice call
to the duty supervisor's phone outside the console. An escalated incident
stays at the top of the console, sounding again, until someone accepts it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, List, Optional

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.emergency import incidents, sends, shifts, texts
from backend.emergency.agencies import Directory
from backend.tables import incidents as table
from lapor.timeutil import utcnow

logger = logging.getLogger(__name__)

_i = table.c


async def escalate_due(
    engine: AsyncEngine,
    accept_within: timedelta,
    supervisor_phone: str,
    directory: Directory,
    now: Optional[datetime] = None,
) -> List[int]:
    """Escalates every open incident older than `accept_within`; returns their ids."""
    now = now or utcnow()
    statement = select(_i.id).where(
        _i.state == incidents.OPEN, _i.escalated_at.is_(None), _i.created_at <= now - accept_within
    )
    async with engine.connect() as conn:
        due = list((await conn.execute(statement)).scalars())
    done = []
    for incident_id in due:
        if await _escalate(engine, incident_id, supervisor_phone, directory, now):
            done.append(incident_id)
    return done


async def _escalate(
    engine: AsyncEngine,
    incident_id: int,
    supervisor_phone: str,
    directory: Directory,
    now: datetime,
) -> bool:
    async with engine.begin() as conn:
        claimed = await conn.execute(
            update(table)
            .where(_i.id == incident_id, _i.state == incidents.OPEN, _i.escalated_at.is_(None))
            .values(escalated_at=now)
        )
        if not claimed.rowcount:
            return False  # accepted meanwhile, or another replica took it
        row = (await conn.execute(select(table).where(_i.id == incident_id))).one()
        on_duty = await shifts.on_duty_count(conn, now)
        await incidents.record(
            conn, incident_id, "escalated", now, data={"operators_on_duty": on_duty}
        )
        await sends.message(conn, row, texts.NOBODY_YET, now)
        if on_duty == 0:
            await _wake_supervisor(conn, row, supervisor_phone, directory, now)
        await incidents.publish(conn, row, "escalated")
    logger.warning(
        "incident %s escalated: nobody accepted it in time (%d on duty)", incident_id, on_duty
    )
    return True


async def _wake_supervisor(
    conn: AsyncConnection, row: Any, phone: str, directory: Directory, now: datetime
) -> None:
    incident_id = row.id
    if not phone:
        logger.error(
            "incident %s: no operator on duty and EMERGENCY_SUPERVISOR_PHONE is not set",
            incident_id,
        )
        await incidents.record(conn, incident_id, "supervisor_unreachable", now)
        return
    words = texts.SUPERVISOR_CALL.format(label=directory.label(row.kind))
    await sends.alarm_call(conn, incident_id, phone, words, now)
    await incidents.record(conn, incident_id, "supervisor_called", now, data={"phone": phone[-4:]})

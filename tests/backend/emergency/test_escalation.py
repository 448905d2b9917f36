"""Nobody left alone (backend/emergency/escalation.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.emergency import escalation, incidents, texts
from backend.emergency.agencies import load
from backend.tables import live_events
from lapor.db import create_engine
from lapor.timeutil import utcnow
from tests.backend.console.helpers import make_person
from tests.backend.emergency.helpers import incident, on_duty, queued, report, taken, timeline

WITHIN = timedelta(seconds=30)
PHONE = "+6281234500112"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def escalate(engine: AsyncEngine, after: timedelta, phone: str = PHONE) -> list[int]:
    return await escalation.escalate_due(engine, WITHIN, phone, load(), now=utcnow() + after)


async def test_an_incident_is_escalated_once_when_nobody_accepts_in_time(
    database_url: str, engine: AsyncEngine
) -> None:
    operator = await make_person(database_url, "ani", ["operator"])
    await on_duty(engine, operator.id)
    filed = await incidents.file(engine, report())
    assert await escalate(engine, timedelta(seconds=29)) == []
    assert await escalate(engine, timedelta(seconds=31)) == [filed.id]
    assert await escalate(engine, timedelta(seconds=60)) == []  # once
    row = await incident(engine, filed.id)
    assert row.state == incidents.OPEN and row.escalated_at is not None
    assert (await timeline(engine, filed.id))[-1] == "escalated"
    # The citizen is told again to call 112; an operator is on duty, so no phone call.
    sent = await queued(engine, filed.id)
    assert [(s.kind, s.payload.get("text")) for s in sent] == [("message", texts.NOBODY_YET)]
    async with engine.connect() as conn:
        alert = (await conn.execute(select(live_events))).all()[-1]
    assert alert.data == {"incident_id": filed.id, "change": "escalated", "kind": "emergency_fire"}


async def test_with_nobody_on_duty_the_supervisor_is_called_outside_the_console(
    engine: AsyncEngine,
) -> None:
    filed = await incidents.file(engine, report(kind="emergency_medical"))
    await escalate(engine, timedelta(seconds=31))
    sent = await queued(engine, filed.id)
    assert [s.kind for s in sent] == ["message", "call"]
    assert sent[1].payload["to"] == PHONE
    assert "Darurat medis" in sent[1].payload["say"]
    assert (await timeline(engine, filed.id))[-1] == "supervisor_called"


async def test_without_a_supervisor_phone_the_gap_is_recorded(engine: AsyncEngine) -> None:
    filed = await incidents.file(engine, report())
    await escalate(engine, timedelta(seconds=31), phone="")
    assert [s.kind for s in await queued(engine, filed.id)] == ["message"]
    assert "supervisor_unreachable" in await timeline(engine, filed.id)


async def test_an_accepted_incident_is_not_escalated(
    database_url: str, engine: AsyncEngine
) -> None:
    operator = await make_person(database_url, "ani", ["operator"])
    await taken(engine, operator)
    assert await escalate(engine, timedelta(minutes=5)) == []

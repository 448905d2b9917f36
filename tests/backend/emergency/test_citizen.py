"""The citizen's later messages reach their open incident through the pipeline."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Dict, List

import pytest
from rasa.shared.core.events import UserUttered
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.emergency import incidents
from backend.pipeline import events
from backend.pipeline.store import store
from backend.tables import incident_events
from lapor.db import create_engine
from tests.backend.console.helpers import make_person
from tests.backend.emergency.helpers import incident, report

PHOTO = "http://127.0.0.1:8000/media/abc.jpg"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def said(sender: str, text: str, at: float, **metadata: Any) -> Dict[str, Any]:
    event = UserUttered(text, intent={"name": "inform_location", "confidence": 0.9},
                        input_channel="socketio", timestamp=at, metadata=metadata)  # fmt: skip
    return {"sender_id": sender, **event.as_dict()}


async def pipe(engine: AsyncEngine, batch: List[Dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        await store(conn, [events.to_row(e) for e in batch])


async def kinds(engine: AsyncEngine, incident_id: int) -> List[str]:
    statement = select(incident_events.c.kind).where(incident_events.c.incident_id == incident_id)
    async with engine.connect() as conn:
        return list((await conn.execute(statement.order_by(incident_events.c.id))).scalars())


async def test_text_pin_and_photo_after_the_emergency_are_added_to_it(
    database_url: str, engine: AsyncEngine
) -> None:
    sender = uuid.uuid4().hex
    filed = await incidents.file(engine, report(conversation_id=sender))
    ani = await make_person(database_url, "ani", ["operator"])
    await incidents.accept(engine, filed.id, ani)  # the bot is paused: the pipeline still hears
    now = time.time()
    await pipe(
        engine,
        [
            said(sender, "apinya makin besar", now),
            said(sender, "/share_location", now + 1,
                 location={"latitude": -7.81, "longitude": 112.01}, contact="sealed-never-kept"),
            said(sender, "/share_photo", now + 2, media_urls=[PHOTO]),
        ],
    )  # fmt: skip
    assert (await kinds(engine, filed.id))[-3:] == ["citizen_message", "location", "photo"]
    row = await incident(engine, filed.id)
    assert (row.latitude, row.longitude) == (-7.81, 112.01)
    assert row.kelurahan  # the pin's kelurahan, from the city's boundaries
    async with engine.connect() as conn:
        data = (await conn.execute(select(incident_events.c.data))).scalars().all()
    assert {"media_urls": [PHOTO]} in data
    async with engine.connect() as conn:
        texts = (await conn.execute(select(incident_events.c.text))).scalars().all()
    assert "apinya makin besar" in texts
    assert not any(t and t.startswith("/share") for t in texts)  # the pin and photo say it
    assert "sealed-never-kept" not in repr(data)


async def test_the_emergency_message_itself_and_other_conversations_are_not_added(
    engine: AsyncEngine,
) -> None:
    sender = uuid.uuid4().hex
    raised = time.time()  # the message that raised it, read by the pipeline after the action
    at = datetime.fromtimestamp(raised, timezone.utc)
    filed = await incidents.file(engine, report(conversation_id=sender, received_at=at))
    await pipe(
        engine, [said(sender, "tolong kebakaran", raised), said("someone-else", "halo", raised + 1)]
    )
    assert await kinds(engine, filed.id) == ["received", "location", "alerted"]


async def test_a_resolved_incident_hears_nothing_more(
    database_url: str, engine: AsyncEngine
) -> None:
    sender = uuid.uuid4().hex
    filed = await incidents.file(engine, report(conversation_id=sender))
    ani = await make_person(database_url, "ani", ["operator"])
    await incidents.resolve(engine, filed.id, ani, "selesai")
    await pipe(engine, [said(sender, "terima kasih", time.time() + 1)])
    assert (await kinds(engine, filed.id))[-1] == "resolved"

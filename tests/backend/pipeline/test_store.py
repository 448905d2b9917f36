"""Storing mapped events (backend/pipeline/store.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any, Dict, List

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from sqlalchemy import func, select

from backend import live
from backend.pipeline import events
from backend.pipeline.store import store
from backend.tables import conversation_events, conversations, live_events
from lapor.db import create_engine
from lapor.timeutil import aware


def stream(sender: str = "pseudo-1") -> List[Dict[str, Any]]:
    """One turn as Rasa publishes it."""
    now = time.time()
    turn = [
        SessionStarted(timestamp=now),
        UserUttered(
            "halo",
            intent={"name": "greet", "confidence": 0.9},
            input_channel="rest",
            timestamp=now + 0.1,
        ),
        ActionExecuted("utter_greet", timestamp=now + 0.2),
        BotUttered("Halo! Ada yang bisa kami bantu?", timestamp=now + 0.3),
        ActionExecuted("action_listen", timestamp=now + 0.4),
    ]
    return [{"sender_id": sender, **event.as_dict()} for event in turn]


async def write(database_url: str, batch: List[Dict[str, Any]]) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            stored = await store(conn, [events.to_row(e) for e in batch])
        return len(stored)
    finally:
        await engine.dispose()


async def count(database_url: str, table: Any) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
    finally:
        await engine.dispose()


async def test_a_turn_is_stored_with_its_conversation_counters(database_url: str) -> None:
    assert await write(database_url, stream()) == 4  # action_listen is not stored
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        conversation = (await conn.execute(select(conversations))).one()
        kinds = (
            (
                await conn.execute(
                    select(conversation_events.c.kind).order_by(conversation_events.c.id)
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    assert kinds == ["session", "user", "action", "bot"]
    assert conversation.sender_key == "pseudo-1" and conversation.channel == "rest"
    assert (conversation.user_messages, conversation.bot_messages) == (1, 1)
    assert conversation.last_event_at > conversation.started_at


async def test_a_redelivered_event_is_stored_once_and_counted_once(database_url: str) -> None:
    batch = stream()
    await write(database_url, batch)
    assert await write(database_url, batch) == 0
    assert await write(database_url, batch[1:2] * 2) == 0
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        conversation = (await conn.execute(select(conversations))).one()
    await engine.dispose()
    assert (conversation.user_messages, conversation.bot_messages) == (1, 1)
    assert await count(database_url, conversation_events) == 4
    assert await count(database_url, live_events) == 2


async def test_each_message_is_announced_to_triage_and_admin(database_url: str) -> None:
    await write(database_url, stream())
    engine = create_engine(database_url)
    heard = await live.after(engine, 0)
    await engine.dispose()
    assert [e.data["kind"] for e in heard] == ["user", "bot"]
    assert heard[0].topic == "conversation" and heard[0].roles == {"triage", "admin"}
    assert heard[0].data["text"] == "halo" and heard[0].data["intent"] == "greet"
    assert heard[0].data["sender_key"] == "pseudo-1"


async def test_rows_and_live_events_roll_back_together(database_url: str) -> None:
    engine = create_engine(database_url)
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await store(conn, [events.to_row(e) for e in stream()])
            raise RuntimeError("the consumer dies before the commit")
    await engine.dispose()
    assert await count(database_url, conversation_events) == 0
    assert await count(database_url, live_events) == 0
    assert await count(database_url, conversations) == 0
    assert await write(database_url, stream()) == 4  # the batch read again stores it


async def test_a_later_batch_moves_counters_and_keeps_the_first_channel(database_url: str) -> None:
    await write(database_url, stream())
    later = stream()
    later[1]["input_channel"] = "whatsapp"
    await write(database_url, later)
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        conversation = (await conn.execute(select(conversations))).one()
    await engine.dispose()
    assert (conversation.user_messages, conversation.bot_messages) == (2, 2)
    assert conversation.channel == "rest"


async def test_masked_text_is_what_is_stored(database_url: str) -> None:
    batch = stream()
    batch[1]["text"] = "nomor saya 081234567890"
    batch[1]["metadata"] = {"contact": "sealed-081234567890"}
    await write(database_url, batch)
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        texts = (await conn.execute(select(conversation_events.c.text))).scalars().all()
        data = (await conn.execute(select(conversation_events.c.data))).scalars().all()
    await engine.dispose()
    assert "nomor saya 0812********" in texts
    assert "081234567890" not in repr(texts) + repr(data)


async def test_an_earlier_event_read_late_moves_the_start_not_the_end(database_url: str) -> None:
    batch = stream()
    await write(database_url, batch[2:])
    await write(database_url, batch[:2])  # the session start and the message, late
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        conversation = (await conn.execute(select(conversations))).one()
    await engine.dispose()
    assert aware(conversation.started_at) == events.to_row(batch[0]).at
    assert aware(conversation.last_event_at) == events.to_row(batch[3]).at
    assert (conversation.user_messages, conversation.bot_messages) == (1, 1)
    assert conversation.channel == "rest"

"""Sending what incidents queue (backend/emergency/sends.py): real Redis for the web chat."""

from __future__ import annotations

import json
import uuid
from typing import AsyncIterator

import pytest
import redis.asyncio as redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.emergency import incidents, sends
from backend.tables import live_events
from lapor import channels
from lapor.contact import ContactCipher
from lapor.conversations import RasaConversations
from lapor.db import create_engine
from lapor.outbound import Outbound
from lapor.settings import DEVELOPMENT_CONTACT_KEY
from lapor.webchat import WebChatChannel, stream_key
from tests.backend.console.helpers import make_person
from tests.backend.emergency.helpers import queued, report, taken
from tests.servers import free_port

REDIS = "redis://127.0.0.1:6379/0"
CIPHER = ContactCipher(DEVELOPMENT_CONTACT_KEY.encode())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def senders() -> AsyncIterator[sends.Senders]:
    web = WebChatChannel(REDIS)
    # Nothing listens on this port: Rasa is "down" for these tests.
    rasa = RasaConversations(f"http://127.0.0.1:{free_port()}", None, timeout=1)
    yield sends.Senders(Outbound({channels.WEB: web}), rasa, CIPHER)
    await web.close()


async def stored(conversation: str) -> list[dict]:
    client = redis.from_url(REDIS, decode_responses=True)
    try:
        entries = await client.xrange(stream_key(conversation))
    finally:
        await client.close()
    return [json.loads(fields["message"]) for _, fields in entries]


async def test_an_operator_reply_reaches_the_web_chat_signed_and_a_down_rasa_is_retried(
    database_url: str, engine: AsyncEngine, senders: sends.Senders
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    conversation = uuid.uuid4().hex
    filed = await taken(engine, ani, conversation_id=conversation)
    await incidents.reply(engine, filed.id, ani, "Damkar menuju lokasi")
    assert await sends.flush(engine, senders) == 3
    messages = await stored(conversation)
    # Both from the operator: the widget shows a person took over.
    assert [m.get("author") for m in messages] == ["Petugas 112", "Petugas 112"]
    assert messages[1]["text"] == "Damkar menuju lokasi"
    # Each outcome is announced with it: an open incident page shows it at once.
    async with engine.connect() as conn:
        announced = (await conn.execute(select(live_events.c.data))).scalars().all()
    assert [a["change"] for a in announced if a["incident_id"] == filed.id][-3:] == ["sent"] * 3
    pause, *_ = await queued(engine, filed.id)
    # Rasa did not answer: the pause waits for the next round, it is not dropped.
    assert (pause.state, pause.attempts) == (sends.PENDING, 1) and pause.last_error


async def test_a_message_to_a_channel_nobody_can_reach_fails_at_once(
    database_url: str, engine: AsyncEngine, senders: sends.Senders
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    filed = await incidents.file(engine, report(channel=channels.WHATSAPP))
    await incidents.resolve(engine, filed.id, ani, "Sudah ditangani di lokasi")
    await sends.flush(engine, senders)
    (message,) = await queued(engine, filed.id)
    assert message.state == sends.FAILED and "whatsapp" in message.last_error


def test_a_call_back_opens_the_sealed_number_only_for_twilio() -> None:
    sealed = CIPHER.seal("whatsapp:+6281234567890")
    payload = {"to": "+62354000112", "contact": sealed, "incident": 7}
    twiml = sends.twiml(payload, CIPHER)
    assert "<Dial>+6281234567890</Dial>" in twiml and "nomor 7" in twiml
    assert "6281234567890" not in json.dumps(payload)


def test_an_alarm_call_says_its_words_twice() -> None:
    twiml = sends.twiml({"to": "+62", "say": "Ada laporan darurat & belum diterima"}, CIPHER)
    assert twiml.count("Ada laporan darurat &amp; belum diterima") == 2

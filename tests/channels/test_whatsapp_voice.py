"""WhatsApp voice notes: fetched from (fake) Twilio, stored unchanged by the
live backend, and passed to Rasa as "/share_voice" with metadata
"voice_urls" (never "media_urls": the report form's photo step reads that)."""

from __future__ import annotations

import asyncio
import urllib.request
import uuid

import pytest

from tests.channels.conftest import WEBHOOK, Harness, make_channel, message_form
from tests.fake_twilio import FakeTwilio
from tests.servers import Server

OGG_OPUS = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x01" * 200


def sid() -> str:
    return "SM" + uuid.uuid4().hex


@pytest.fixture
def harness(fake: FakeTwilio, live_backend: Server) -> Harness:
    return Harness(make_channel(fake, live_backend))


def voice_form(fake: FakeTwilio, name: str, body: str = "", declared: str = "audio/ogg") -> dict:
    return message_form(
        sid(), body, NumMedia="1", MediaUrl0=fake.media_url(name), MediaContentType0=declared
    )


async def test_a_voice_note_is_stored_and_reaches_the_bot_as_share_voice(
    harness: Harness, fake: FakeTwilio, live_backend: Server
) -> None:
    fake.media["voice1"] = (OGG_OPUS, "audio/ogg; codecs=opus")
    await harness.post(WEBHOOK, voice_form(fake, "voice1", declared="audio/ogg; codecs=opus"))
    await harness.settle(1)
    (message,) = harness.received
    assert message.text == "/share_voice"
    assert "media_urls" not in message.metadata
    (url,) = message.metadata["voice_urls"]
    assert url.startswith(live_backend.url + "/media/")
    with urllib.request.urlopen(url) as stored:
        assert stored.headers["Content-Type"] == "audio/ogg"
        assert stored.read() == OGG_OPUS  # kept as sent


async def test_a_voice_note_with_a_caption_keeps_the_caption_as_the_text(
    harness: Harness, fake: FakeTwilio
) -> None:
    fake.media["voice2"] = (OGG_OPUS, "audio/ogg")
    await harness.post(WEBHOOK, voice_form(fake, "voice2", body="lampu jalan mati di jl dhoho"))
    await harness.settle(1)
    (message,) = harness.received
    assert message.text == "lampu jalan mati di jl dhoho"
    assert len(message.metadata["voice_urls"]) == 1


@pytest.mark.parametrize(
    ("data", "served"),
    [
        (b"ini teks biasa, bukan suara\n" * 10, "audio/ogg"),  # the backend sees the bytes
        (b"OggS" + b"\x00" * (6 * 1024 * 1024), "audio/ogg"),  # over the limit
        (b"RIFF....WAVEfmt ", "audio/wav"),  # a type not taken
    ],
    ids=["text-named-ogg", "oversize", "wav"],
)
async def test_a_refused_voice_note_gets_a_polite_answer_and_nothing_reaches_the_bot(
    harness: Harness, fake: FakeTwilio, data: bytes, served: str
) -> None:
    fake.media["bad"] = (data, served)
    await harness.post(WEBHOOK, voice_form(fake, "bad", declared=served))
    await asyncio.sleep(0.8)
    assert harness.received == []
    (reply,) = [m["Body"] for m in fake.messages()]
    assert "pesan suara ini tidak dapat kami terima" in reply
    assert "telepon 112" in reply

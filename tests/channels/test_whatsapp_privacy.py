"""The privacy notice on WhatsApp: sent once per citizen, on first contact,
after the bot's reply (an emergency instruction goes first), across replicas."""

from __future__ import annotations

import uuid
from typing import Any, Callable, Optional

import pytest

from bot.channels.whatsapp import PRIVACY_NOTICE, WhatsAppInput
from bot.settings import BotSettings
from lapor.whatsapp.state import RedisStore
from tests.channels.conftest import WEBHOOK, Harness, make_channel, message_form
from tests.fake_twilio import FakeTwilio
from tests.servers import Server

PRIVACY_URL = "https://lapor.kedirikota.go.id/privasi"
REDIS = "redis://127.0.0.1:6379/0"
EMERGENCY = "Segera telepon 112 sekarang juga."


def channel(fake: FakeTwilio, backend: Server, store: Any = None) -> WhatsAppInput:
    return make_channel(fake, backend, store, privacy_url=PRIVACY_URL)


def citizen() -> str:
    return f"whatsapp:+62812{uuid.uuid4().int % 10**8:08d}"


def sid() -> str:
    return f"SM{uuid.uuid4().hex}"


def bodies(fake: FakeTwilio, sender: str) -> list[str]:
    return [m.get("Body", "") for m in fake.delivered() if m["To"] == sender]


def notices(fake: FakeTwilio, sender: str) -> list[str]:
    return [b for b in bodies(fake, sender) if PRIVACY_URL in b]


async def talk(harness: Harness, sender: str, *texts: str) -> None:
    for text in texts:
        await harness.post(WEBHOOK, message_form(sid(), text, sender=sender))
        await harness.settle(len(harness.received) + 1)


def replying(reply: Optional[Callable[[str], str]] = None) -> Callable[[str], str]:
    return reply or (lambda text: f"echo: {text}")


async def test_a_new_sender_hears_the_notice_once_after_the_first_reply(
    fake: FakeTwilio, live_backend: Server
) -> None:
    harness = Harness(channel(fake, live_backend), reply=replying())
    sender = citizen()
    await talk(harness, sender, "halo", "lampu jalan mati")
    assert bodies(fake, sender) == [
        "echo: halo",
        PRIVACY_NOTICE.format(url=PRIVACY_URL),
        "echo: lampu jalan mati",
    ]
    assert "Bapak/Ibu" in notices(fake, sender)[0]


async def test_an_emergency_instruction_goes_out_before_the_notice(
    fake: FakeTwilio, live_backend: Server
) -> None:
    harness = Harness(channel(fake, live_backend), reply=lambda _: EMERGENCY)
    sender = citizen()
    await talk(harness, sender, "TOLONG ADA KEBAKARAN")
    heard = bodies(fake, sender)
    assert heard[0] == EMERGENCY and len(notices(fake, sender)) == 1


async def test_a_second_replica_sharing_redis_does_not_send_it_again(
    fake: FakeTwilio, live_backend: Server
) -> None:
    first = Harness(channel(fake, live_backend, RedisStore(REDIS)), reply=replying())
    second = Harness(channel(fake, live_backend, RedisStore(REDIS)), reply=replying())
    sender = citizen()
    await talk(first, sender, "halo")
    await talk(second, sender, "masih ada?")
    await talk(first, sender, "terima kasih")
    assert len(notices(fake, sender)) == 1
    assert len(bodies(fake, sender)) == 4
    pseudonym = first.channel.cipher.pseudonym(sender)
    await RedisStore(REDIS).delete(f"noticed:{pseudonym}")  # the shared Redis stays tidy


async def test_a_notice_that_could_not_be_sent_is_tried_with_the_next_message(
    fake: FakeTwilio, live_backend: Server
) -> None:
    harness = Harness(channel(fake, live_backend))  # the bot says nothing: only the notice
    sender = citizen()
    fake.failures.append((400, 63016))  # refused, not worth retrying
    await talk(harness, sender, "halo")
    assert notices(fake, sender) == []
    await talk(harness, sender, "halo lagi")
    assert len(notices(fake, sender)) == 1


async def test_without_a_reachable_store_the_reply_still_goes_and_no_notice_repeats(
    fake: FakeTwilio, live_backend: Server
) -> None:
    down = RedisStore("redis://127.0.0.1:1/0")  # nothing listens there
    harness = Harness(channel(fake, live_backend, down), reply=replying())
    sender = citizen()
    await talk(harness, sender, "halo", "halo lagi")
    assert bodies(fake, sender) == ["echo: halo", "echo: halo lagi"]


@pytest.mark.parametrize("public", ["https://lapor.kedirikota.go.id", ""])
def test_the_link_is_the_backends_public_address(public: str) -> None:
    settings = BotSettings.load(backend_url="http://backend:8000", backend_public_url=public)
    made = WhatsAppInput.from_settings(settings)
    expected = public or "http://backend:8000"
    assert made.privacy_url == f"{expected}/privasi"

from __future__ import annotations

import asyncio
import time
import uuid
from typing import List

import pytest
from rasa.core.channels.channel import UserMessage

from lapor.whatsapp.state import ChannelState, RedisStore
from tests.channels.conftest import STATUS, WEBHOOK, Harness, make_channel, message_form
from tests.fake_twilio import FakeTwilio
from tests.servers import Server


def sid() -> str:
    return f"SM{uuid.uuid4().hex}"


@pytest.fixture
def harness(fake: FakeTwilio, live_backend: Server) -> Harness:
    return Harness(make_channel(fake, live_backend), reply=lambda text: f"echo: {text}")


async def test_signed_message_is_acknowledged_at_once_and_answered_by_rest(
    harness: Harness, fake: FakeTwilio
) -> None:
    response = await harness.post(WEBHOOK, message_form(sid(), "lampu jalan mati 😭"))
    assert response.status == 200
    assert response.body.decode().endswith("<Response></Response>")
    await harness.settle(1)
    (message,) = harness.received
    assert (message.text, message.input_channel) == ("lampu jalan mati 😭", "whatsapp")
    # The conversation is kept under a pseudonym; the number travels sealed.
    assert message.sender_id.startswith("whatsapp:p-")
    assert "6281234567890" not in message.sender_id
    assert harness.channel.cipher.open(message.metadata["contact"]) == "+6281234567890"
    assert "6281234567890" not in message.metadata["contact"]
    assert message.metadata["profile_name"] == "Siti"
    (sent,) = fake.messages()
    assert sent == {
        "To": "whatsapp:+6281234567890",
        "From": "whatsapp:+14155238886",
        "Body": "echo: lampu jalan mati 😭",
        "StatusCallback": "https://lapor.example.go.id/webhooks/whatsapp/status",
    }
    assert fake.calls[-1].authorization == fake.expected_auth()


async def test_an_nik_is_sealed_before_rasa_sees_the_message(harness: Harness) -> None:
    from lapor.identity import open_number

    await harness.post(WEBHOOK, message_form(sid(), "bansos ibu saya NIK 3571015708900001"))
    await harness.settle(1)
    (message,) = harness.received
    assert message.text == "bansos ibu saya NIK [nomor …0001]"
    (sealed,) = message.metadata["identity_numbers"]
    assert open_number(sealed["token"], harness.channel.cipher) == "3571015708900001"


@pytest.mark.parametrize("signature", [None, "bm90LWEtc2lnbmF0dXJl"])
async def test_missing_or_wrong_signature_is_403_and_not_processed(
    harness: Harness, signature
) -> None:
    response = await harness.post(WEBHOOK, message_form(sid()), signature=signature)
    assert response.status == 403
    await asyncio.sleep(0.1)
    assert harness.received == []


async def test_tampered_body_fails_the_signature(harness: Harness) -> None:
    form = message_form(sid(), "asli")
    from twilio.request_validator import RequestValidator

    from tests.channels.conftest import PUBLIC
    from tests.fake_twilio import AUTH_TOKEN

    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + WEBHOOK, form)
    response = await harness.post(WEBHOOK, {**form, "Body": "palsu"}, signature=signature)
    assert response.status == 403


async def test_twilio_retries_are_processed_once(harness: Harness) -> None:
    form = message_form(sid())
    for _ in range(3):
        assert (await harness.post(WEBHOOK, form)).status == 200
    await harness.settle(1)
    await asyncio.sleep(0.1)
    assert len(harness.received) == 1


async def test_retries_to_another_replica_are_processed_once(
    fake: FakeTwilio, live_backend: Server
) -> None:
    url = "redis://127.0.0.1:6379/0"
    first = Harness(make_channel(fake, live_backend, RedisStore(url)))
    second = Harness(make_channel(fake, live_backend, RedisStore(url)))
    form = message_form(sid())
    await first.post(WEBHOOK, form)
    await second.post(WEBHOOK, form)
    await first.settle(1)
    await asyncio.sleep(0.2)
    assert len(first.received) + len(second.received) == 1


async def test_messages_of_one_sender_are_processed_in_order(
    fake: FakeTwilio, live_backend: Server
) -> None:
    order = []

    class Slow(Harness):
        async def _on_message(self, message: UserMessage) -> None:
            # The first message takes longest: a naive server would finish it last.
            await asyncio.sleep(0.2 if message.text == "satu" else 0.0)
            order.append(message.text)
            self.received.append(message)

    harness = Slow(make_channel(fake, live_backend))
    for text in ("satu", "dua", "tiga"):
        await harness.post(WEBHOOK, message_form(sid(), text))
    await harness.settle(3)
    assert order == ["satu", "dua", "tiga"]


async def test_one_senders_messages_keep_their_order_across_replicas(
    fake: FakeTwilio, live_backend: Server
) -> None:
    order: List[str] = []

    class Slow(Harness):
        async def _on_message(self, message: UserMessage) -> None:
            # Earlier messages take longer: without the shared queue the
            # replicas would finish them in reverse.
            await asyncio.sleep({"1": 0.3, "2": 0.2, "3": 0.1}.get(message.text or "", 0.0))
            order.append(message.text or "")
            self.received.append(message)

    store = RedisStore("redis://127.0.0.1:6379/0", prefix=f"lapor:test:{uuid.uuid4().hex[:8]}:")
    replicas = [Slow(make_channel(fake, live_backend, store)) for _ in range(2)]
    for number in range(1, 7):  # the load balancer alternates between the replicas
        await replicas[number % 2].post(WEBHOOK, message_form(sid(), str(number)))
    for replica in replicas:
        await replica.settle(3)
    assert order == ["1", "2", "3", "4", "5", "6"]


async def test_unknown_parameters_do_not_break_anything(harness: Harness) -> None:
    form = message_form(sid(), "tes", ReferralNumMedia="0", ChannelMetadata='{"x": 1}')
    assert (await harness.post(WEBHOOK, form)).status == 200
    await harness.settle(1)
    assert harness.received[0].text == "tes"


async def test_missing_sender_is_400(harness: Harness) -> None:
    form = message_form(sid())
    del form["From"]
    assert (await harness.post(WEBHOOK, form)).status == 400


async def test_empty_message_gets_a_helpful_answer(harness: Harness, fake: FakeTwilio) -> None:
    await harness.post(WEBHOOK, message_form(sid(), ""))
    await asyncio.sleep(0.3)
    assert harness.received == []
    assert "belum dapat kami proses" in fake.messages()[0]["Body"]


async def test_very_long_text_reaches_the_bot_and_long_replies_are_split(
    harness: Harness, fake: FakeTwilio
) -> None:
    text = "jalan rusak parah sekali. " * 150
    await harness.post(WEBHOOK, message_form(sid(), text))
    await harness.settle(1)
    assert harness.received[0].text == text.strip()
    bodies = [m["Body"] for m in fake.messages()]
    assert len(bodies) == 3 and all(len(b) <= 1600 for b in bodies)


async def test_shared_location_becomes_coordinates(harness: Harness) -> None:
    form = message_form(
        sid(), "", Latitude="-7.816731", Longitude="112.012012", Address="Jl. Dhoho", Label="Toko"
    )
    await harness.post(WEBHOOK, form)
    await harness.settle(1)
    message = harness.received[0]
    assert message.text == '/share_location{"latitude": -7.816731, "longitude": 112.012012}'
    assert message.metadata["location"]["address"] == "Jl. Dhoho"


async def test_photo_is_fetched_checked_and_stored_by_the_backend(
    harness: Harness, fake: FakeTwilio, live_backend: Server
) -> None:
    form = message_form(
        sid(), "", NumMedia="1", MediaUrl0=fake.media_url("photo1"), MediaContentType0="image/jpeg"
    )
    await harness.post(WEBHOOK, form)
    await harness.settle(1)
    message = harness.received[0]
    assert message.text == "/share_photo"
    (url,) = message.metadata["media_urls"]
    assert url.startswith(live_backend.url + "/media/")
    media_id = url.rsplit("/", 1)[1]
    import urllib.request

    with urllib.request.urlopen(f"{live_backend.url}/media/{media_id}") as stored:
        assert stored.read().startswith(b"\xff\xd8\xff")
    fetch = next(c for c in fake.calls if c.method == "GET")
    assert fetch.authorization == fake.expected_auth()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"%PDF-1.4 ...", "application/pdf"),
        (b"\xff\xd8\xff" + b"0" * (2 * 1024 * 1024), "image/jpeg"),
    ],
)
async def test_non_images_and_oversize_photos_are_refused_politely(
    harness: Harness, fake: FakeTwilio, data: bytes, content_type: str
) -> None:
    fake.media["bad"] = (data, content_type)
    form = message_form(
        sid(), "", NumMedia="1", MediaUrl0=fake.media_url("bad"), MediaContentType0=content_type
    )
    await harness.post(WEBHOOK, form)
    await asyncio.sleep(0.5)
    assert harness.received == []
    assert "foto tidak dapat kami terima" in fake.messages()[0]["Body"]


async def test_a_number_reply_picks_the_button(harness: Harness, fake: FakeTwilio) -> None:
    sender = "whatsapp:+6285550001111"
    cipher = harness.channel.cipher
    conversation = cipher.pseudonym(sender)
    await harness.channel.state.remember_contact(conversation, cipher.seal(sender))
    output = harness.channel.get_output_channel()
    buttons = [
        {"title": "Ya, kirim", "payload": "/affirm"},
        {"title": "Ada yang salah", "payload": "/deny"},
    ]
    await output.send_text_with_buttons(conversation, "Apakah sudah benar?", buttons)
    assert fake.messages()[0]["To"] == sender  # the pseudonym resolved to the number
    assert "1. Ya, kirim\n2. Ada yang salah" in fake.messages()[0]["Body"]
    await harness.post(WEBHOOK, message_form(sid(), "2", sender=sender))
    await harness.settle(1)
    assert harness.received[0].text == "/deny"


async def test_sends_are_retried_on_429_and_5xx(harness: Harness, fake: FakeTwilio) -> None:
    fake.failures += [(429, 20429), (503, 20500)]
    await harness.channel.get_output_channel().send_text_message("whatsapp:+6281", "coba")
    assert len(fake.messages()) == 3  # two failures, then delivered


async def test_a_storm_of_429s_is_waited_out_as_twilio_asks(
    harness: Harness, fake: FakeTwilio
) -> None:
    # Six refusals asking for a second each: the reply still goes out, after them.
    fake.storm(6, status=429, retry_after=1)
    started = time.monotonic()
    await harness.channel.get_output_channel().send_text_message("whatsapp:+6281", "nomor tiket")
    assert time.monotonic() - started >= 6
    assert [m["Body"] for m in fake.delivered()] == ["nomor tiket"]


async def test_a_refused_send_is_logged_not_raised(
    harness: Harness, fake: FakeTwilio, caplog
) -> None:
    fake.failures.append((400, 63016))
    await harness.channel.get_output_channel().send_text_message("whatsapp:+6281234567890", "x")
    assert len(fake.messages()) == 1  # a 400 is not retried
    assert "63016" in caplog.text
    assert "6281234567890" not in caplog.text  # the number is masked


async def test_status_callback_records_delivery(harness: Harness) -> None:
    form = {"MessageSid": "SM123", "MessageStatus": "read", "AccountSid": "AC1"}
    assert (await harness.post(STATUS, form)).status == 204
    recorded = await harness.channel.state.status("SM123")
    assert recorded and recorded["status"] == "read"
    failed = {"MessageSid": "SM124", "MessageStatus": "failed", "ErrorCode": "63016"}
    await harness.post(STATUS, failed)
    assert (await harness.channel.state.status("SM124"))["error_code"] == "63016"
    assert (await harness.post(STATUS, form, signature=None)).status == 403


async def test_window_is_24_hours_from_the_last_inbound_message() -> None:
    from lapor.whatsapp.state import MemoryStore

    state = ChannelState(MemoryStore())
    now = time.time()
    await state.touch("whatsapp:+62", at=now - 23 * 3600)
    assert await state.in_window("whatsapp:+62", now=now)
    assert not await state.in_window("whatsapp:+62", now=now + 2 * 3600)
    assert not await state.in_window("whatsapp:+63", now=now)

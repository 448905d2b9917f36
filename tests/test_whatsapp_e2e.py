"""End to end over WhatsApp: signed Twilio webhooks into the real Rasa server,
action server and backend; replies land at the fake Twilio API."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from sqlalchemy import create_engine, select

from backend.tables import incidents, tickets
from lapor.db import sync_url
from tests import servers
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.fake_twilio import PUBLIC, WHATSAPP_FROM, WHATSAPP_PATH, FakeTwilio, post_webhook
from tests.voice_line import SILENCE, Caller, http_post, server_env

pytestmark = pytest.mark.e2e
PATH = WHATSAPP_PATH


class WhatsApp:
    def __init__(self, rasa: servers.Server, fake: FakeTwilio, database_url: str) -> None:
        self.rasa, self.fake, self.database_url = rasa, fake, database_url
        self.sender = f"whatsapp:+62812{uuid.uuid4().int % 10**8:08d}"

    def send(self, **fields: str) -> None:
        form = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "From": self.sender,
            "To": WHATSAPP_FROM,
            "NumMedia": "0",
            "Body": "",
            **fields,
        }
        took = post_webhook(self.rasa.url, form, timeout=10)
        assert took < 2  # Twilio is answered at once

    def bodies(self) -> List[str]:
        return [m.get("Body", "") for m in self.fake.messages() if m["To"] == self.sender]

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [b for b in self.bodies() if text in b]
            if found:
                return found[-1]
            time.sleep(0.2)
        raise AssertionError(f"no reply with {text!r}; got {self.bodies()}")


@pytest.fixture(scope="module")
def stack(
    model: Path, twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dict[str, object]]:
    logs = tmp_path_factory.mktemp("wa-logs")
    database_url = _create_postgres_database()
    try:
        with servers.chat_stack(
            model, database_url, logs, twilio.env(), PUBLIC, backend_env=server_env()
        ) as stack:
            yield {
                "rasa": stack.rasa,
                "backend": stack.backend,
                "database_url": database_url,
                "logs": logs,
            }
    finally:
        _drop_postgres_database(database_url)


def test_a_whatsapp_complaint_with_photo_and_pin_becomes_a_ticket(
    stack: Dict[str, object], twilio: FakeTwilio
) -> None:
    chat = WhatsApp(stack["rasa"], twilio, str(stack["database_url"]))  # type: ignore[arg-type]
    chat.send(Body="jalan berlubang besar di depan SD, sudah seminggu belum diperbaiki")
    # Whether or not the bot found a place in that, a shared pin is the place.
    chat.wait_for("")  # any first reply
    chat.send(Latitude="-7.816731", Longitude="112.012012", Address="Jl. Dhoho")
    chat.wait_for("Kelurahan Setonogedong")
    chat.wait_for("kirim foto")
    chat.send(NumMedia="1", MediaUrl0=twilio.media_url("pothole"), MediaContentType0="image/jpeg")
    summary = chat.wait_for("Apakah sudah benar?")
    assert "Foto: terlampir" in summary and "1. Ya, kirim" in summary
    chat.send(Body="1")  # the number of the "Ya, kirim" button
    done = chat.wait_for("Nomor tiket")

    engine = create_engine(sync_url(str(stack["database_url"])), future=True)
    with engine.connect() as conn:
        phone = chat.sender.split(":", 1)[1]
        row = conn.execute(select(tickets).where(tickets.c.phone == phone)).one()
    engine.dispose()
    assert row.service_request_id in done
    assert row.channel == "whatsapp" and row.account_id.startswith("whatsapp:p-")
    # Rasa's tracker store never saw the number: only its pseudonym and a sealed copy.
    tracker_url = f"{stack['rasa'].url}/conversations/{row.account_id}/tracker?token=test-token"
    with urllib.request.urlopen(tracker_url) as response:
        tracker = response.read().decode()
    assert "Nomor tiket" in tracker and phone.lstrip("+") not in tracker
    assert (row.lat, row.long, row.kelurahan_code) == (-7.816731, 112.012012, "35.71.02.1009")
    assert row.service_code == "road"
    (photo,) = row.media_urls
    media_id = photo.rsplit("/", 1)[1]
    backend_url = str(row.media_urls[0]).split("/media/")[0]
    assert media_id and backend_url


def test_an_emergency_over_whatsapp_says_112_first(
    stack: Dict[str, object], twilio: FakeTwilio
) -> None:
    chat = WhatsApp(stack["rasa"], twilio, str(stack["database_url"]))  # type: ignore[arg-type]
    chat.send(Body="TOLONG ADA KEBAKARAN RUMAH")
    chat.wait_for("112")
    assert "112" in chat.bodies()[0]


def test_a_pin_outside_the_city_is_answered_honestly(
    stack: Dict[str, object], twilio: FakeTwilio
) -> None:
    chat = WhatsApp(stack["rasa"], twilio, str(stack["database_url"]))  # type: ignore[arg-type]
    chat.send(Latitude="-7.2575", Longitude="112.7521")
    chat.wait_for("di luar Kota Kediri")


def test_a_photo_alone_outside_a_complaint_gets_a_helpful_answer(
    stack: Dict[str, object], twilio: FakeTwilio
) -> None:
    chat = WhatsApp(stack["rasa"], twilio, str(stack["database_url"]))  # type: ignore[arg-type]
    chat.send(NumMedia="1", MediaUrl0=twilio.media_url("alone"), MediaContentType0="image/jpeg")
    chat.wait_for("Terima kasih fotonya")


NIK = "3571015708900001"


def test_an_nik_leaves_no_trace_in_the_tracker_the_event_pipeline_or_the_logs(
    stack: Dict[str, object], twilio: FakeTwilio
) -> None:
    chat = WhatsApp(stack["rasa"], twilio, str(stack["database_url"]))  # type: ignore[arg-type]
    chat.send(Body=f"KTP elektronik saya belum jadi sudah 3 bulan, NIK saya {NIK}")
    chat.wait_for("Baik, laporan administrasi kependudukan")
    chat.send(Body="kelurahan pesantren rt 1 rw 3")
    chat.wait_for("foto")  # the NIK came with the first message: not asked again
    chat.send(Body="lewati")
    summary = chat.wait_for("Apakah sudah benar?")
    assert "…0001 (tersegel)" in summary
    chat.send(Body="ya")
    chat.wait_for("Nomor tiket")

    engine = create_engine(sync_url(str(stack["database_url"])), future=True)
    with engine.connect() as conn:
        row = conn.execute(select(tickets).where(tickets.c.phone == chat.sender[9:])).one()
    engine.dispose()
    # It reached the department, sealed (backend/console/tickets.py opens it).
    assert row.attributes["nik"]["last4"] == "0001" and NIK not in str(row.attributes)
    tracker_url = f"{stack['rasa'].url}/conversations/{row.account_id}/tracker?token=test-token"
    with urllib.request.urlopen(tracker_url) as response:
        tracker = response.read().decode()
    said = [e.get("text") or "" for e in json.loads(tracker)["events"] if e["event"] == "user"]
    assert any("[nomor …0001]" in text for text in said) and NIK not in tracker
    logs = Path(str(stack["logs"]))
    # The sql event broker's store is the event pipeline's source; and every log.
    kept = [p for p in logs.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite3" and p.name.startswith("events-") for p in kept)
    assert [p.name for p in kept if NIK.encode() in p.read_bytes()] == []


def test_a_silent_112_call_is_followed_on_whatsapp_and_the_reply_reaches_the_operators(
    stack: Dict[str, object], twilio: FakeTwilio
) -> None:
    chat = WhatsApp(stack["rasa"], twilio, str(stack["database_url"]))  # type: ignore[arg-type]
    number = chat.sender.split(":", 1)[1]
    asyncio.run(_ring(str(stack["backend"].url), Caller(number, [SILENCE, SILENCE, SILENCE])))  # type: ignore[attr-defined]
    # The backend's worker sends the approved template; its delivery opens the bot's form.
    deadline = time.monotonic() + 30
    while not [m for m in twilio.delivered() if m["To"] == chat.sender]:
        assert time.monotonic() < deadline, "no WhatsApp message after the silent call"
        time.sleep(0.2)
    (sent,) = [m for m in twilio.delivered() if m["To"] == chat.sender]
    assert sent["ContentSid"] == "HXghost"
    time.sleep(1)  # the form is opened in Rasa right after the delivery
    chat.send(Body="maaf tadi saya yang menelepon, tolong hubungi saya lewat chat")
    answer = chat.wait_for("petugas 112")
    engine = create_engine(sync_url(str(stack["database_url"])), future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            select(incidents).where(incidents.c.kind == "emergency_call_followup")
        ).all()
    engine.dispose()
    (row,) = [r for r in rows if "tolong hubungi saya" in (r.text or "")]
    assert row.channel == "whatsapp" and row.state == "open"
    assert "catat" in answer or "teruskan" in answer


async def _ring(backend_url: str, caller: Caller) -> None:
    post = http_post(backend_url)
    try:
        outcome = await caller.ring(post)
    finally:
        await post.close()  # type: ignore[attr-defined]
    assert not outcome.queued

"""The 112 hand-off end to end, both ways, in Debian's Chromium: a citizen on
the web widget or on WhatsApp (signed webhooks, the fake Twilio), the real Rasa
server, action server, backend, conversation pipeline and Redis, and a 112
operator's console. Screenshots: reports/emergency-*.png."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select

from backend.tables import audit_log, incidents
from lapor.db import sync_url
from tests import servers
from tests.backend.console.helpers import make_person
from tests.backend.test_media import phone_photo
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.console_pages import PHONE, live_now, run, shot, signed_in_page
from tests.fake_twilio import PUBLIC, Citizen, FakeTwilio

pytestmark = pytest.mark.e2e
REDIS = "redis://127.0.0.1:6379/0"
RASA_TOKEN = "test-token"
HERE = {"latitude": -7.816731, "longitude": 112.012012}  # kelurahan Setonogedong
DESK = "+62354771122"


@pytest.fixture(scope="module")
def site(
    model: Path, twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dict[str, Any]]:
    logs = tmp_path_factory.mktemp("emergency-logs")
    database_url = _create_postgres_database()
    rasa_port = servers.free_port()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    # The conversation pipeline: Rasa's sql broker file -> the backend database.
    consumer = servers.rasa_events_consumer(database_url, logs, rasa_port)
    backend_env = {
        "RASA_PUBLIC_URL": rasa_url,
        "EMERGENCY_CHECK_INTERVAL": "0.2",
        # Escalation has tests of its own (tests/test_emergency_replicas.py).
        "EMERGENCY_ACCEPT_SECONDS": "600",
    }
    try:
        with servers.chat_stack(
            model, database_url, logs, twilio.env(), PUBLIC,
            backend_env=backend_env, rasa_port=rasa_port, token=RASA_TOKEN, redis_url=REDIS,
        ) as stack:  # fmt: skip
            run(make_person(database_url, "wulan", ["operator"]))
            yield {"url": stack.backend.url, "database_url": database_url, "rasa": stack.rasa}
    finally:
        consumer.terminate()
        consumer.wait(30)
        _drop_postgres_database(database_url)


def on_shift(browser: Browser, url: str, desk: str = "") -> Page:
    console = signed_in_page(browser, url, "wulan", "/console/incidents")
    # Still on the shift an earlier test started (a shift outlives the page), or a new one.
    form = console.locator("#phone-form, #start-shift-form").first
    if desk:
        form.get_by_label("Nomor telepon meja").fill(desk)
    form.locator("button[type=submit]").click()
    expect(console.get_by_text("Sedang bertugas sejak")).to_be_visible()
    live_now(console)
    return console


def open_alert(console: Page, shots: str) -> None:
    """The alert comes without a reload; the operator opens it and accepts."""
    alert = console.locator("#incident-alert")
    expect(alert).to_contain_text("Kejadian darurat baru", timeout=20000)
    expect(console.locator("#incident-list")).to_contain_text("Belum diterima")
    shot(console, f"emergency-{shots}-1-alert")
    alert.get_by_role("link").first.click()
    console.locator("#accept").click()
    expect(console.get_by_text("Diterima oleh Wulan")).to_be_visible()


def reply(console: Page, words: str) -> None:
    console.get_by_label("Balas pelapor").fill(words)
    console.get_by_role("button", name="Kirim balasan").click()
    expect(console.locator("#incident-live")).to_contain_text(words)


def resolve(console: Page, note: str) -> None:
    console.get_by_label("Selesaikan").fill(note)
    console.get_by_role("button", name="Selesaikan kejadian").click()
    expect(console.locator("#incident-live")).to_contain_text("Diselesaikan oleh Wulan")


def incident_of(site: Dict[str, Any], conversation: str) -> Any:
    engine = create_engine(sync_url(site["database_url"]), future=True)
    with engine.connect() as conn:
        row = conn.execute(select(incidents).where(incidents.c.conversation_key == conversation))
        found = row.one()
    engine.dispose()
    return found


def latest_incident(site: Dict[str, Any]) -> Any:
    engine = create_engine(sync_url(site["database_url"]), future=True)
    with engine.connect() as conn:
        found = conn.execute(select(incidents).order_by(incidents.c.id.desc()).limit(1)).one()
    engine.dispose()
    return found


# -- the web widget -------------------------------------------------------------


def bot_says(page: Page, text: str, timeout: float = 30000) -> None:
    expect(page.locator(".lw-bot", has_text=text).last).to_be_visible(timeout=timeout)


def test_a_widget_emergency_is_taken_by_an_operator_and_handed_back_to_the_bot(
    site: Dict[str, Any], browser: Browser, tmp_path: Path
) -> None:
    console = on_shift(browser, site["url"])
    citizen = browser.new_context(viewport=PHONE, geolocation=HERE, permissions=["geolocation"])
    chat = citizen.new_page()
    chat.goto(site["url"])
    chat.get_by_test_id("lw-open").click()
    expect(chat.locator(".lw-state")).to_have_attribute("data-state", "online", timeout=30000)
    chat.get_by_label("Tulis pesan...").fill("tolong ada kebakaran rumah di pasar, apinya besar")
    chat.keyboard.press("Enter")
    # The same turn: call 112, and the truth: an operator is on duty and being reached.
    bot_says(chat, "Segera telepon")
    bot_says(chat, "Petugas 112 sedang dihubungkan")
    shot(chat, "emergency-widget-1-reported")

    open_alert(console, "widget")
    bot_says(chat, "sudah menangani laporan darurat")
    reply(console, "Damkar sedang menuju lokasi. Apakah ada orang di dalam rumah?")
    said = chat.locator(".lw-human", has_text="Damkar sedang menuju lokasi")
    expect(said).to_be_visible(timeout=15000)
    expect(said.locator(".lw-author")).to_contain_text("Petugas 112")
    # The widget says a person has the conversation (and no "virtual officer" types).
    expect(chat.locator(".lw-state")).to_have_text("Terhubung dengan petugas 112 (manusia)")

    # The bot is paused: the citizen's words, pin and photo reach the operator only.
    bots = chat.locator(".lw-bot").count()
    chat.get_by_label("Tulis pesan...").fill("tidak ada pak, semua sudah keluar")
    chat.keyboard.press("Enter")
    chat.get_by_role("button", name="Kirim lokasi saya").click()
    photo = tmp_path / "api.jpg"
    photo.write_bytes(phone_photo())
    chat.locator(".lw-form input[type=file]").set_input_files(str(photo))
    live = console.locator("#incident-live")
    expect(live).to_contain_text("semua sudah keluar", timeout=20000)
    expect(live).to_contain_text("Lokasi dari pelapor", timeout=20000)
    expect(console.locator("img[alt^='Foto dari pelapor']").first).to_be_visible(timeout=20000)
    assert chat.locator(".lw-bot").count() == bots  # nothing from the bot meanwhile
    shot(chat, "emergency-widget-2-operator")
    shot(console, "emergency-widget-2-incident")

    resolve(console, "Api padam oleh Damkar, tidak ada korban.")
    bot_says(chat, "sudah ditutup oleh petugas 112")
    expect(chat.locator(".lw-state")).to_have_text("Terhubung")
    resumed = console.locator(".sends li", has_text="Bot diaktifkan kembali")
    expect(resumed.get_by_text("terkirim")).to_be_visible(timeout=15000)
    shot(console, "emergency-widget-3-resolved")
    row = incident_of(
        site, chat.evaluate("JSON.parse(localStorage.getItem('lapor-widget:session'))")
    )
    assert row.state == "resolved" and (row.latitude, row.longitude) == (
        HERE["latitude"],
        HERE["longitude"],
    )
    assert row.received_at <= row.alerted_at <= row.seen_at <= row.accepted_at <= row.resolved_at
    # The bot answers again.
    before = chat.locator(".lw-bot").count()
    chat.get_by_label("Tulis pesan...").fill("terima kasih banyak mbak")
    chat.keyboard.press("Enter")
    expect(chat.locator(".lw-bot")).not_to_have_count(before, timeout=30000)
    # ... as the bot, from a clean state: the emergency's question is not asked again.
    bot_says(chat, "Sama-sama, Bapak/Ibu")
    assert chat.locator(".lw-bot").nth(before).inner_text().startswith("Sama-sama")
    shot(chat, "emergency-widget-3-resumed")
    citizen.close()
    console.context.close()


# -- WhatsApp ---------------------------------------------------------------------


def test_a_whatsapp_emergency_with_a_call_back_and_the_bot_paused_meanwhile(
    site: Dict[str, Any], browser: Browser, twilio: FakeTwilio
) -> None:
    console = on_shift(browser, site["url"], desk=DESK)
    citizen = Citizen(site["rasa"].url, twilio)
    citizen.send(Body="tolong ada kecelakaan motor di jalan dhoho, korbannya tidak sadar")
    citizen.wait_for("Petugas 112 sedang dihubungkan")
    open_alert(console, "whatsapp")
    citizen.wait_for("sudah menangani laporan darurat")
    reply(console, "Ambulans PSC 119 sudah berangkat. Jangan pindahkan korban.")
    assert citizen.wait_for("Ambulans PSC 119").startswith("*Petugas 112:*")

    replies = len(citizen.received())
    citizen.send(Body="korban mulai sadar pak")
    citizen.send(Latitude=str(HERE["latitude"]), Longitude=str(HERE["longitude"]))
    citizen.send(NumMedia="1", MediaUrl0=twilio.media_url("crash"), MediaContentType0="image/jpeg")
    live = console.locator("#incident-live")
    expect(live).to_contain_text("korban mulai sadar", timeout=20000)
    expect(console.locator("img[alt^='Foto dari pelapor']").first).to_be_visible(timeout=20000)
    assert len(citizen.received()) == replies  # the bot said nothing while paused

    console.get_by_role("button", name="Telepon balik pelapor").click()
    expect(live).to_contain_text("Telepon balik diminta oleh Wulan", timeout=15000)
    deadline = time.monotonic() + 15
    while not twilio.voice_calls() and time.monotonic() < deadline:
        time.sleep(0.2)
    (call,) = [c for c in twilio.voice_calls() if c["To"] == DESK]
    # The operator's desk rings first, then Twilio dials the citizen's number.
    assert f"<Dial>{citizen.number}</Dial>" in call["Twiml"]
    assert citizen.number not in console.content()  # the console never shows it
    shot(console, "emergency-whatsapp-2-incident")

    resolve(console, "Korban dibawa PSC 119 ke RSUD Gambiran.")
    citizen.wait_for("sudah ditutup oleh petugas 112")
    row = latest_incident(site)
    assert (row.channel, row.kind, row.state) == ("whatsapp", "emergency_accident", "resolved")
    engine = create_engine(sync_url(site["database_url"]), future=True)
    with engine.connect() as conn:
        audited = conn.execute(
            select(audit_log.c.actor).where(
                audit_log.c.action == "incident.callback", audit_log.c.record_id == str(row.id)
            )
        ).all()
    engine.dispose()
    assert [a.actor for a in audited] == ["wulan"]
    closed = len(citizen.received())
    citizen.send(Body="terima kasih")
    # The bot answers again, from a clean state (not the emergency's "where?").
    citizen.wait_for("Sama-sama, Bapak/Ibu")
    assert not any("lokasi kejadian" in b for b in citizen.received()[closed:])
    console.context.close()

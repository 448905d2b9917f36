"""The web chat widget in a real headless Chromium (Debian's), against the real
backend, action server and Rasa server (its socket.io rooms shared through the
real Redis, which also carries the city's messages from the backend).
Screenshots of the main states go to reports/widget-*.png."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select

from backend.tables import notifications, tickets
from lapor.db import sync_url
from tests import servers
from tests.backend.test_media import assert_clean_jpeg, phone_photo
from tests.conftest import _create_postgres_database, _drop_postgres_database

pytestmark = pytest.mark.e2e
SHOTS = servers.REPO_ROOT / "reports"
# Inside kelurahan Setonogedong.
HERE = {"latitude": -7.816731, "longitude": 112.012012}
REDIS = "redis://127.0.0.1:6379/0"
RASA_TOKEN = "test-token"


@pytest.fixture(scope="module")
def site(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, str]]:
    logs = tmp_path_factory.mktemp("widget-logs")
    database_url = _create_postgres_database()
    rasa_port = servers.free_port()
    # The backend sends status notices (web chat: through Redis) every half second.
    # Delivered notices are recorded in the citizen's Rasa conversation.
    backend_env = {
        "RASA_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_TOKEN": RASA_TOKEN,
        "REDIS_URL": REDIS,
        "NOTIFY_INTERVAL": "0.5",
    }
    # The conversation pipeline: Rasa's sql broker file -> the backend database.
    consumer = servers.rasa_events_consumer(database_url, logs, rasa_port)
    try:
        with servers.backend(database_url, logs, extra_env=backend_env) as backend:
            # The demo page (on the backend) embeds the widget, which talks to Rasa.
            sites = {"WIDGET_ALLOWED_ORIGINS": backend.url}
            env = servers.actions_env(backend.url, logs)
            with (
                servers.action_server(env, logs) as actions,
                servers.rasa_server(
                    model,
                    actions.url,
                    logs,
                    token=RASA_TOKEN,
                    port=rasa_port,
                    extra_env={"REDIS_URL": REDIS, "BACKEND_URL": backend.url, **sites},
                ),
            ):
                yield {
                    "url": backend.url,
                    "database_url": database_url,
                    "rasa_url": f"http://127.0.0.1:{rasa_port}",
                }
    finally:
        consumer.terminate()
        consumer.wait(30)
        _drop_postgres_database(database_url)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"widget-{name}.png"))


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("lw-open").click()
    expect(page.locator(".lw-state")).to_have_attribute("data-state", "online", timeout=30000)


def bot_says(page: Page, text: str, timeout: float = 30000) -> None:
    expect(page.locator(".lw-bot", has_text=text).last).to_be_visible(timeout=timeout)


def test_a_complaint_through_the_widget_with_photo_location_and_reload(
    site: Dict[str, str], browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(
        geolocation=HERE, permissions=["geolocation"], viewport={"width": 1100, "height": 760}
    )
    page = context.new_page()
    page.goto(site["url"])
    expect(page.get_by_test_id("lw-open")).to_be_visible()
    shot(page, "1-closed")
    open_widget(page, site["url"])
    shot(page, "2-open")

    page.get_by_label("Tulis pesan...").fill("lampu jalan di gang 3 Bandar Lor mati sejak kemarin")
    page.keyboard.press("Enter")
    # What the bot understood, then the category's own question (data/services.yml).
    bot_says(page, "Baik, laporan lampu jalan di gang 3, Kel. Bandar Lor.")
    bot_says(page, "nomor pada tiang")
    page.get_by_role("button", name="Lewati").last.click()
    bot_says(page, "kirim foto")
    shot(page, "3-conversation")

    page.reload()  # mid-conversation: same conversation, same transcript
    expect(page.locator(".lw-state")).to_have_attribute("data-state", "online", timeout=30000)
    expect(page.locator(".lw-user", has_text="gang 3 Bandar Lor")).to_be_visible()
    shot(page, "4-after-reload")

    photo = tmp_path / "lampu.jpg"
    photo.write_bytes(phone_photo())  # with the EXIF of a phone: where it was taken
    page.locator(".lw-form input[type=file]").set_input_files(str(photo))
    bot_says(page, "Apakah sudah benar?")
    page.get_by_role("button", name="Kirim lokasi saya").click()
    bot_says(page, "Kelurahan Setonogedong")
    page.get_by_role("button", name="Ya, kirim").last.click()
    bot_says(page, "Nomor tiket")
    shot(page, "5-ticket")

    session = page.evaluate("JSON.parse(localStorage.getItem('lapor-widget:session'))")
    engine = create_engine(sync_url(site["database_url"]), future=True)
    with engine.connect() as conn:
        row = conn.execute(select(tickets).where(tickets.c.account_id == session)).one()
    engine.dispose()
    assert page.locator(".lw-bot", has_text=row.service_request_id).count() >= 1
    assert row.channel == "web" and row.service_code == "street_light"
    assert (row.lat, row.long, row.kelurahan_code) == (-7.816731, 112.012012, "35.71.02.1009")
    assert len(row.media_urls) == 1 and "/media/" in row.media_urls[0]
    # The photo the city keeps is a clean JPEG: no EXIF, no GPS position.
    media_id = row.media_urls[0].rsplit("/", 1)[1]
    with urllib.request.urlopen(f"{site['url']}/media/{media_id}", timeout=30) as stored:
        assert_clean_jpeg(stored.read())
    context.close()


def test_messages_typed_offline_are_sent_when_the_connection_returns(
    site: Dict[str, str], browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800})  # a phone
    page = context.new_page()
    open_widget(page, site["url"])
    context.set_offline(True)
    expect(page.locator(".lw-state")).not_to_have_attribute("data-state", "online", timeout=15000)
    page.get_by_label("Tulis pesan...").fill("halo min")
    page.get_by_role("button", name="Kirim", exact=True).click()
    expect(page.locator(".lw-user", has_text="halo min")).to_contain_text("menunggu koneksi")
    shot(page, "6-offline")
    context.set_offline(False)
    expect(page.locator(".lw-state")).to_have_attribute("data-state", "online", timeout=30000)
    bot_says(page, "Selamat datang")
    expect(page.locator(".lw-user", has_text="halo min")).not_to_contain_text("menunggu")
    shot(page, "7-back-online")
    context.close()


def test_emergency_shows_a_tap_to_call_link_and_keyboard_works(
    site: Dict[str, str], browser: Browser
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site["url"])
    page.get_by_test_id("lw-open").focus()
    page.keyboard.press("Enter")  # keyboard alone opens it
    expect(page.locator(".lw-state")).to_have_attribute("data-state", "online", timeout=30000)
    page.keyboard.type("tolong ada kebakaran rumah!!")
    page.keyboard.press("Enter")
    call = page.locator("a.lw-call")
    expect(call).to_have_attribute("href", "tel:112", timeout=30000)
    shot(page, "8-emergency")
    page.get_by_test_id("lw-new").click()  # a new conversation starts afresh
    expect(page.locator(".lw-user")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    context.close()


def change_status(site: Dict[str, str], ticket: str, status: str, note: Optional[str]) -> None:
    """What a dishub officer does through the staff API."""
    key = servers.run_module("backend", "issue-key", "dishub", DATABASE_URL=site["database_url"])
    request = urllib.request.Request(
        f"{site['url']}/api/v1/requests/{ticket}/status",
        data=json.dumps({"status": status, "note": note}).encode(),
        headers={"Content-Type": "application/json", "X-API-Key": key.strip()},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def wait_until_sent(site: Dict[str, str], notices: int, timeout: float = 30) -> None:
    engine = create_engine(sync_url(site["database_url"]), future=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                states = conn.execute(select(notifications.c.state)).scalars().all()
            if states.count("sent") >= notices:
                return
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise AssertionError(f"status notices not sent: {states}")


def ticket_of(page: Page, site: Dict[str, str]) -> str:
    session = page.evaluate("JSON.parse(localStorage.getItem('lapor-widget:session'))")
    engine = create_engine(sync_url(site["database_url"]), future=True)
    with engine.connect() as conn:
        row = conn.execute(select(tickets).where(tickets.c.account_id == session)).one()
    engine.dispose()
    assert row.channel == "web"
    return str(row.service_request_id)


def test_a_web_reporter_hears_of_status_changes_live_and_after_coming_back(
    site: Dict[str, str], browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    open_widget(page, site["url"])
    page.get_by_label("Tulis pesan...").fill("lampu jalan di gang 3 Bandar Lor mati sejak kemarin")
    page.keyboard.press("Enter")
    bot_says(page, "nomor pada tiang")
    page.get_by_role("button", name="Lewati").last.click()
    bot_says(page, "kirim foto")
    page.get_by_role("button", name="Lewati").last.click()
    bot_says(page, "Apakah sudah benar?")
    page.get_by_role("button", name="Ya, kirim").last.click()
    bot_says(page, "Nomor tiket")
    ticket = ticket_of(page, site)

    # The panel is open: the notice appears in the conversation as it is sent.
    change_status(site, ticket, "diverifikasi", None)
    bot_says(page, "Status: Sudah diverifikasi petugas")
    expect(page.locator(".lw-bot", has_text=ticket).last).to_contain_text("Pembaruan laporan")
    shot(page, "9-notice-live")
    # The conversation's history has it too (the next turn and the staff see it).
    session = page.evaluate("JSON.parse(localStorage.getItem('lapor-widget:session'))")
    url = f"{site['rasa_url']}/conversations/{session}/tracker?token={RASA_TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as response:
        events = json.loads(response.read())["events"]
    assert any(
        e["event"] == "bot" and "Sudah diverifikasi petugas" in (e.get("text") or "")
        for e in events
    )

    # Closed: the launcher counts what arrives.
    page.keyboard.press("Escape")
    launcher = page.get_by_test_id("lw-open")
    change_status(site, ticket, "diproses", None)
    expect(launcher).to_have_attribute("aria-label", re.compile(r"\(1 pesan baru\)"), timeout=30000)
    expect(page.locator(".lw-badge")).to_have_text("1")

    # Away from the site: the next notice waits in the backend for the widget.
    page.goto("about:blank")
    change_status(site, ticket, "selesai", "Lampu sudah diganti")
    wait_until_sent(site, notices=3)
    page.goto(site["url"])
    expect(launcher).to_have_attribute("aria-label", re.compile(r"\(2 pesan baru\)"), timeout=30000)
    expect(page.locator(".lw-badge")).to_have_text("2")
    expect(page.get_by_role("dialog")).to_be_hidden()
    shot(page, "10-unread-badge")

    launcher.click()
    # Done: the reporter is asked whether it is fixed (backend/closure.py).
    bot_says(page, "sudah ditandai selesai oleh petugas")
    finished = page.locator(".lw-bot", has_text="sudah ditandai selesai")
    expect(finished).to_contain_text("Catatan petugas: Lampu sudah diganti")
    expect(finished).to_contain_text("Apakah masalahnya sudah beres?")
    expect(finished).to_be_in_viewport()  # opened at the newest message
    expect(page.locator(".lw-bot", has_text="Status: Sedang ditangani")).to_have_count(1)
    expect(page.locator(".lw-bot", has_text="Status: Sudah diverifikasi")).to_have_count(1)
    shot(page, "11-notices-after-reopening")
    page.get_by_role("button", name="Sudah beres").last.click()
    bot_says(page, "penilaian Bapak/Ibu")
    page.get_by_role("button", name="4 ⭐⭐⭐⭐", exact=True).last.click()
    bot_says(page, "kami nyatakan selesai")
    shot(page, "12-closure-confirmed")
    page.keyboard.press("Escape")
    expect(launcher).to_have_attribute("aria-label", "Buka chat Lapor Mbak Wali")
    expect(page.locator(".lw-badge")).to_be_hidden()
    context.close()


SESSIONS = "**/api/v1/widget/sessions"


def test_without_a_session_from_the_backend_the_widget_apologises_and_retries(
    site: Dict[str, str], browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    # The backend cannot issue sessions (down, or this address made too many).
    page.route(
        SESSIONS,
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps([{"code": 503, "description": "unavailable"}]),
        ),
    )
    page.goto(site["url"])
    page.get_by_test_id("lw-open").click()
    notice = page.get_by_test_id("lw-unavailable")
    expect(notice).to_be_visible(timeout=30000)
    expect(notice).to_contain_text("Mohon maaf")
    expect(notice).to_contain_text("Bapak/Ibu")
    expect(page.locator(".lw-state")).to_have_attribute("data-state", "error")
    # No chatting without a session, and no session made up in the browser.
    expect(page.get_by_label("Tulis pesan...")).to_be_disabled()
    expect(page.get_by_role("button", name="Kirim foto")).to_be_disabled()
    assert page.evaluate("localStorage.getItem('lapor-widget:session')") in (None, "null")
    shot(page, "12-unavailable")

    page.unroute(SESSIONS)  # the backend is back
    page.get_by_role("button", name="Coba lagi").click()
    expect(page.locator(".lw-state")).to_have_attribute("data-state", "online", timeout=30000)
    expect(notice).to_be_hidden()
    session = page.evaluate("JSON.parse(localStorage.getItem('lapor-widget:session'))")
    token = page.evaluate("JSON.parse(localStorage.getItem('lapor-widget:token'))")
    assert re.fullmatch(r"[0-9a-f]{32}", session) and re.fullmatch(r"[0-9a-f]{64}", token)
    page.get_by_label("Tulis pesan...").fill("halo min")
    page.keyboard.press("Enter")
    bot_says(page, "Selamat datang")
    shot(page, "13-after-retry")
    context.close()


def test_a_known_session_id_without_its_token_gets_a_conversation_of_its_own(
    site: Dict[str, str], browser: Browser
) -> None:
    request = urllib.request.Request(f"{site['url']}/api/v1/widget/sessions", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        victim = json.loads(response.read())["session"]
    context = browser.new_context()
    # Someone who learned the victim's id plants it in their own widget.
    planted = {"session": victim, "token": "0" * 64}
    context.add_init_script(
        "".join(
            f"localStorage.setItem('lapor-widget:{k}', {json.dumps(json.dumps(v))});"
            for k, v in planted.items()
        )
    )
    page = context.new_page()
    open_widget(page, site["url"])  # refused by the Rasa channel, then a new session
    session = page.evaluate("JSON.parse(localStorage.getItem('lapor-widget:session'))")
    assert session != victim and re.fullmatch(r"[0-9a-f]{32}", session)
    page.get_by_label("Tulis pesan...").fill("halo min")
    page.keyboard.press("Enter")
    bot_says(page, "Selamat datang")
    context.close()


def test_a_widget_conversation_appears_live_in_the_console_viewer(
    site: Dict[str, str], browser: Browser
) -> None:
    """The pipeline end to end: Rasa's event broker, the consumer, the database,
    the live stream, the officer's open page; nobody reloads anything."""
    made = servers.run_process(
        "backend", "create-user", "sari", "--role", "triage", "--password-stdin",
        stdin=OFFICER_PASSWORD + "\n", DATABASE_URL=site["database_url"],
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    officer = browser.new_context(viewport={"width": 1366, "height": 768})
    console = officer.new_page()
    console.goto(f"{site['url']}/console/conversations")
    console.get_by_label("Nama pengguna").fill("sari")
    console.get_by_label("Kata sandi").fill(OFFICER_PASSWORD)
    console.keyboard.press("Enter")
    expect(console.locator("[data-live-state]")).to_have_text("Terhubung langsung", timeout=15000)

    citizen = browser.new_context(viewport={"width": 390, "height": 800})
    chat = citizen.new_page()
    open_widget(chat, site["url"])
    chat.get_by_label("Tulis pesan...").fill("lampu jalan depan pasar Bandar mati pak")
    chat.keyboard.press("Enter")
    bot_says(chat, "nomor pada tiang")
    sender = chat.evaluate("JSON.parse(localStorage.getItem('lapor-widget:session'))")

    row = console.locator("#convo-rows tr", has_text=sender)
    expect(row).to_be_visible(timeout=20000)
    expect(row).to_contain_text("lampu jalan depan pasar Bandar mati pak")
    console.screenshot(path=str(SHOTS / "console-live-list.png"))
    row.get_by_role("link").click()
    transcript = console.locator("#chat")
    expect(transcript.locator(".msg-user")).to_contain_text("lampu jalan depan pasar Bandar")
    expect(transcript.locator(".msg-bot", has_text="nomor pada tiang").first).to_be_visible()
    expect(console.locator("[data-live-state]")).to_have_text("Terhubung langsung", timeout=15000)

    chat.get_by_label("Tulis pesan...").fill("sudah tiga hari gelap, rawan. wa saya 081234567890")
    chat.keyboard.press("Enter")
    said = transcript.locator(".msg-user", has_text="sudah tiga hari gelap")
    expect(said).to_be_visible(timeout=20000)
    # Stored and shown with the number masked: the console never holds it.
    expect(said).to_contain_text("0812********")
    assert "081234567890" not in console.content()
    console.screenshot(path=str(SHOTS / "console-live-transcript.png"), full_page=True)
    officer.close()
    citizen.close()


OFFICER_PASSWORD = "kata-sandi-pemilah-uji"

"""The 112 operators' pages in a real headless Chromium (Debian's) against a
real backend on PostgreSQL: an operator starts a shift, an emergency filed
through the backend's API alerts the console within seconds (banner, title,
sound), the operator accepts, dispatches Damkar, writes a note and resolves,
and a second operator's board shows the incident taken, live.
Screenshots go to reports/console-incident*.png."""

from __future__ import annotations

import io
import re
import secrets
import uuid
from typing import Any, Dict, Iterator, Optional

import pytest
import requests
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import insert, select, update

from backend.emergency import incidents
from backend.tables import incidents as incident_table
from backend.tables import media
from lapor.db import create_engine
from lapor.timeutil import utcnow
from tests import servers
from tests.backend.console.helpers import make_person
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.console_pages import LAPTOP, PHONE, live_now, run, shot, signed_in_page

pytestmark = pytest.mark.e2e
API_KEY = "test-api-key"  # what tests/servers.py gives the backend
ALERT_WITHIN = 5000  # ms: the issue asks for one second; the margin is for a loaded machine


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    logs = tmp_path_factory.mktemp("console-incidents-logs")
    database_url = _create_postgres_database()
    try:
        with servers.backend(database_url, logs, api_key=API_KEY) as backend:
            run(make_person(database_url, "wulan", ["operator"]))
            run(make_person(database_url, "budi", ["operator"]))
            run(make_person(database_url, "kepala", ["operator_supervisor"]))
            yield {"url": backend.url, "database_url": database_url}
    finally:
        _drop_postgres_database(database_url)


def file_emergency(
    url: str,
    kind: str = "emergency_fire",
    text: str = "Tolong, ada kebakaran di pasar!",
    channel: str = "whatsapp",
) -> int:
    """An emergency as the action server files it (backend/emergency/api.py)."""
    response = requests.post(
        f"{url}/emergency/v1/incidents",
        json={
            "key": f"e2e-{uuid.uuid4().hex}",
            "kind": kind,
            "channel": channel,
            "conversation_id": f"{channel}:p-{secrets.token_hex(12)}",
            "contact": f"sealed-{secrets.token_hex(8)}" if channel == "whatsapp" else None,
            "text": text,
            "location": {
                "text": "Pasar Setonobetek, los ikan",
                "kelurahan": "Setonobetek",
                "latitude": -7.8167,
                "longitude": 112.0112,
            },
            "transcript": [
                {"who": "user", "text": text},
                {"who": "bot", "text": "Segera telepon 112. Petugas 112 sedang dihubungkan."},
            ],
            "received_at": utcnow().isoformat(),
        },
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def citizen_sends_photo(site: Dict[str, Any], incident_id: int, words: str) -> None:
    """The citizen's later message with a photo, as the conversation pipeline adds it."""

    async def add() -> None:
        picture = io.BytesIO()
        Image.new("RGB", (320, 240), (214, 72, 30)).save(picture, "JPEG")
        media_id = uuid.uuid4().hex
        engine = create_engine(site["database_url"])
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(media).values(
                        id=media_id,
                        content_type="image/jpeg",
                        data=picture.getvalue(),
                        size=len(picture.getvalue()),
                        created_at=utcnow(),
                    )
                )
                row = (
                    await conn.execute(
                        select(incident_table).where(incident_table.c.id == incident_id)
                    )
                ).one()
                url = f"{site['url']}/media/{media_id}"
                await incidents.citizen_said(conn, row, utcnow(), words, {"media_urls": [url]})
                await incidents.publish(conn, row, "message")
        finally:
            await engine.dispose()

    run(add())


def escalate(site: Dict[str, Any], incident_id: int) -> None:
    """As backend/emergency/escalation.py marks one nobody accepted in time."""

    async def mark() -> None:
        engine = create_engine(site["database_url"])
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    update(incident_table)
                    .where(incident_table.c.id == incident_id)
                    .values(escalated_at=utcnow())
                )
        finally:
            await engine.dispose()

    run(mark())


def beeps(page: Page, kind: str) -> int:
    return int(page.locator("body").get_attribute(f"data-beeps-{kind}") or 0)


def start_shift(page: Page, phone: Optional[str] = None) -> None:
    if phone:
        page.get_by_label("Nomor telepon meja").fill(phone)
    page.get_by_role("button", name="Mulai bertugas").click()
    expect(page.get_by_text("Sedang bertugas sejak")).to_be_visible()
    # The redirect made a new document: its sound waits for one more click.
    switch = page.get_by_role("button", name="Aktifkan suara")
    if switch.is_visible():
        switch.click()
    expect(page.locator("body")).to_have_attribute("data-sound", "on")
    live_now(page)


def test_an_operator_is_alerted_accepts_dispatches_and_resolves(
    site: Dict[str, Any], browser: Browser
) -> None:
    url = site["url"]
    # One nobody took in time, from the web chat: it stays on top, in red, sounding.
    waiting = file_emergency(url, "emergency_medical", "Ibu saya pingsan, tidak sadar", "web")
    escalate(site, waiting)
    wulan = signed_in_page(browser, url, "wulan", "/console/incidents", LAPTOP)
    expect(wulan.get_by_role("button", name="Mulai bertugas")).to_be_visible()
    expect(wulan.locator("#incident-list tbody tr").first).to_have_attribute("data-escalated", "1")
    shot(wulan, "console-incidents-board")
    start_shift(wulan, "0354 771122")
    budi = signed_in_page(browser, url, "budi", "/console/incidents", LAPTOP)
    start_shift(budi)

    incident_id = file_emergency(url)
    banner = wulan.locator(f'.alert-item[data-incident-id="{incident_id}"]')
    expect(banner).to_be_visible(timeout=ALERT_WITHIN)
    expect(banner).to_contain_text("Kebakaran")
    row = wulan.locator(f'#incident-list tr[data-incident-id="{incident_id}"]')
    expect(row).to_contain_text("Belum diterima", timeout=ALERT_WITHIN)
    expect(row).to_contain_text("Pasar Setonobetek")
    assert beeps(wulan, "new") == 1  # it sounded
    expect(wulan).to_have_title(re.compile("Kebakaran — DARURAT BARU"))  # flashing
    elapsed = row.locator(".elapsed")
    first = elapsed.text_content()
    wulan.wait_for_timeout(2100)
    assert elapsed.text_content() != first  # the timer ticks every second
    expect(budi.locator(f'.alert-item[data-incident-id="{incident_id}"]')).to_be_visible(
        timeout=ALERT_WITHIN
    )
    shot(wulan, "console-incidents-alert")

    banner.get_by_role("link").click()
    wulan.wait_for_url(f"**/console/incidents/{incident_id}")
    expect(wulan.locator(".timeline")).to_contain_text("Dilihat oleh")
    expect(wulan.get_by_role("link", name="Buka peta")).to_have_attribute(
        "href",
        "https://www.openstreetmap.org/?mlat=-7.816700&mlon=112.011200#map=18/-7.816700/112.011200",
    )
    wulan.get_by_role("button", name="Terima").click()
    expect(wulan.get_by_text("Kejadian sudah Bapak/Ibu terima")).to_be_visible()
    expect(wulan.locator("#state")).to_have_text("Ditangani")

    # The second operator's board shows it taken, without a reload.
    taken = budi.locator(f'#incident-list tr[data-incident-id="{incident_id}"]')
    expect(taken).to_contain_text("Ditangani", timeout=ALERT_WITHIN)
    expect(taken).to_contain_text("Wulan")
    expect(budi.locator(f'.alert-item[data-incident-id="{incident_id}"]')).to_have_count(0)

    wulan.get_by_role("checkbox", name="Dinas Pemadam Kebakaran").check()
    wulan.get_by_role("button", name="Catat instansi dihubungi").click()
    expect(wulan.locator(".timeline")).to_contain_text("Instansi dihubungi: Dinas Pemadam")
    wulan.get_by_label("Catatan").fill("Pelapor di lantai 2, api dari kios ikan.")
    wulan.get_by_role("button", name="Simpan catatan").click()
    expect(wulan.locator(".timeline")).to_contain_text("api dari kios ikan")

    # What the citizen sends now reaches the open page live, and what is typed stays.
    wulan.get_by_label("Balas pelapor").fill("Damkar sedang menuju")
    citizen_sends_photo(site, incident_id, "apinya makin besar")
    expect(wulan.locator(".timeline")).to_contain_text("apinya makin besar", timeout=ALERT_WITHIN)
    expect(wulan.locator(".photos img")).to_have_count(1)
    expect(wulan.get_by_label("Balas pelapor")).to_have_value("Damkar sedang menuju")
    wulan.get_by_role("button", name="Kirim balasan").click()
    expect(wulan.get_by_text("Balasan sudah dikirim ke pelapor.")).to_be_visible()
    shot(wulan, "console-incident-accepted")

    wulan.get_by_label("Selesaikan").fill("Api padam pukul 10.20, tidak ada korban.")
    wulan.get_by_role("button", name="Selesaikan kejadian").click()
    expect(wulan.get_by_text("Kejadian sudah diselesaikan")).to_be_visible()
    expect(wulan.locator("#state")).to_have_text("Selesai")
    expect(wulan.locator(".timeline")).to_contain_text("Diselesaikan oleh Wulan")
    shot(wulan, "console-incident-resolved")
    done = budi.locator(f'#incident-list tr[data-incident-id="{incident_id}"]')
    expect(done).to_have_attribute("data-state", "resolved", timeout=ALERT_WITHIN)
    # The escalated one nobody accepted sounds again every 10 seconds.
    expect(budi.locator("body")).to_have_attribute(
        "data-beeps-escalated", re.compile(r"^[1-9]"), timeout=15000
    )
    expect(budi.locator(f'tr[data-incident-id="{waiting}"]')).to_contain_text("Eskalasi")
    budi.context.close()
    wulan.context.close()


def test_the_board_and_an_incident_read_well_on_a_phone(
    site: Dict[str, Any], browser: Browser
) -> None:
    url = site["url"]
    kepala = signed_in_page(browser, url, "kepala", "/console/incidents", PHONE)
    start_shift(kepala)
    incident_id = file_emergency(url, "emergency_accident", "Tabrakan motor di Jl. Dhoho")
    expect(kepala.locator(f'.alert-item[data-incident-id="{incident_id}"]')).to_be_visible(
        timeout=ALERT_WITHIN
    )
    expect(kepala.locator(f'#incident-list tr[data-incident-id="{incident_id}"]')).to_be_visible()
    shot(kepala, "console-incidents-390")
    kepala.goto(f"{url}/console/incidents/{incident_id}")
    kepala.get_by_role("button", name="Terima").click()
    expect(kepala.get_by_text("Kejadian sudah Bapak/Ibu terima")).to_be_visible()
    shot(kepala, "console-incident-390")
    kepala.context.close()

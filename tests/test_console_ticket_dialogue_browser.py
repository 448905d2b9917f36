"""A department talks with the reporter through the console, end to end in
Debian's Chromium: the citizen reports over WhatsApp (signed webhooks, the
fake Twilio) to the real Rasa server, action server and backend; the report
reaches the dishub queue live; staff ask a question and the answer appears
in the ticket's thread; staff close it with a photo of the work, the citizen
says "belum" and it reopens; closed again, the citizen confirms and rates it;
and a misrouted report is transferred. Screenshots: reports/ticket-talk-*.png."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select

from backend.tables import tickets
from lapor.db import sync_url
from tests import servers
from tests.backend.console.helpers import make_person
from tests.backend.console.test_tickets import move
from tests.backend.helpers import png_bytes
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.console_pages import LAPTOP, PHONE, live_now, run, shot, signed_in_page
from tests.fake_twilio import PUBLIC, Citizen, FakeTwilio
from tests.test_console_tickets_browser import file_report

pytestmark = pytest.mark.e2e
RASA_TOKEN = "test-token"
LIVE_WITHIN = 15000  # ms: a WhatsApp round trip through Rasa on a loaded machine


@pytest.fixture(scope="module")
def site(
    model: Path, twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dict[str, Any]]:
    logs = tmp_path_factory.mktemp("ticket-talk-logs")
    database_url = _create_postgres_database()
    try:
        with servers.chat_stack(
            model, database_url, logs, twilio.env(), PUBLIC,
            backend_env={"NOTIFY_INTERVAL": "0.2"}, token=RASA_TOKEN,
        ) as stack:  # fmt: skip
            run(make_person(database_url, "sari", ["staff"], "dishub"))
            yield {"url": stack.backend.url, "database_url": database_url, "rasa": stack.rasa}
    finally:
        _drop_postgres_database(database_url)


def report_over_whatsapp(citizen: Citizen) -> None:
    """A street-light complaint with a pin and no photo, confirmed."""
    citizen.send(Body="lampu jalan mati di depan toko emas jl dhoho, gelap sekali")
    citizen.wait_for("")
    citizen.send(Latitude="-7.816731", Longitude="112.012012", Address="Jl. Dhoho")
    citizen.wait_for("Kelurahan Setonogedong")
    citizen.wait_for("nomor pada tiang")  # the category's own question (data/services.yml)
    citizen.send(Body="lewati")
    citizen.wait_for("kirim foto")
    citizen.send(Body="lewati")
    citizen.wait_for("Apakah sudah benar?")
    citizen.send(Body="1")  # "Ya, kirim"
    citizen.wait_for("Nomor tiket")


def ticket_of(site: Dict[str, Any], citizen: Citizen) -> Any:
    engine = create_engine(sync_url(site["database_url"]), future=True)
    with engine.connect() as conn:
        row = conn.execute(select(tickets).where(tickets.c.phone == citizen.number)).one()
    engine.dispose()
    return row


def form_opened(site: Dict[str, Any], citizen: Citizen, form: str, timeout: float = 15) -> None:
    """The backend records a delivered message (and opens the form that takes its
    answer) just after Twilio took it: a person reads it first; the test waits."""
    conversation = ticket_of(site, citizen).account_id
    url = f"{site['rasa'].url}/conversations/{conversation}/tracker?token={RASA_TOKEN}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "&include_events=NONE") as response:
            if (json.load(response).get("active_loop") or {}).get("name") == form:
                return
        time.sleep(0.1)
    raise AssertionError(f"{form} was not opened in the conversation")


def close(page: Page, note: str, photo: Path | None = None) -> None:
    page.get_by_role("radio", name="Selesai").check()
    page.get_by_label("Catatan untuk pelapor").fill(note)
    if photo:
        page.get_by_label("Foto hasil pekerjaan").set_input_files(str(photo))
    page.get_by_role("button", name="Simpan status").click()
    expect(page.locator("#status")).to_have_text("Selesai")


def test_staff_ask_the_reporter_close_and_the_reporter_reopens_then_confirms(
    site: Dict[str, Any], browser: Browser, twilio: FakeTwilio, tmp_path: Path
) -> None:
    sari = signed_in_page(browser, site["url"], "sari", "/console/tickets", LAPTOP)
    live_now(sari)
    citizen = Citizen(site["rasa"].url, twilio)
    report_over_whatsapp(citizen)
    number = ticket_of(site, citizen).service_request_id
    row = sari.locator(f'#ticket-list tr[data-ticket="{number}"]')
    expect(row).to_be_visible(timeout=LIVE_WITHIN)  # without a reload
    row.get_by_role("link", name=number).click()
    sari.wait_for_url(f"**/console/tickets/{number}")
    live_now(sari)

    # A question, answered on WhatsApp; the answer shows in the thread live.
    before = len(citizen.received())
    sari.get_by_label("Pertanyaan").fill("Tiang lampu nomor berapa, Bu? Ada tulisannya di tiang.")
    sari.get_by_role("button", name="Kirim pertanyaan").click()
    expect(sari.locator("#waiting-answer")).to_contain_text("Tiang lampu nomor berapa")
    asked = citizen.wait_for("Pertanyaan petugas", after=before)
    assert number in asked and "Tiang lampu nomor berapa" in asked
    form_opened(site, citizen, "staff_answer_form")
    citizen.send(Body="nomer tiange PJU-17, pas ngarep toko emas")
    citizen.wait_for("sudah kami teruskan ke petugas")
    history = sari.locator(".history")
    expect(history).to_contain_text("nomer tiange PJU-17", timeout=LIVE_WITHIN)
    expect(history).to_contain_text("Jawaban pelapor")
    expect(sari.locator("#waiting-answer")).to_have_count(0)
    assert ticket_of(site, citizen).workflow_status == "diterima"  # no new complaint
    shot(sari, "ticket-talk-1-answer")

    # Closed with a photo of the work; the citizen says it is not fixed: reopened.
    photo = tmp_path / "hasil.png"
    photo.write_bytes(png_bytes((320, 240)))
    before = len(citizen.received())
    close(sari, "Lampu PJU-17 sudah diganti.", photo)
    expect(sari.locator(".history .ev-photo img")).to_have_count(1)
    check = citizen.wait_for("Apakah masalahnya sudah beres?", after=before)
    assert "Lampu PJU-17 sudah diganti." in check and "1. Sudah beres" in check
    form_opened(site, citizen, "closure_form")
    citizen.send(Body="belum, lampunya nyala sebentar terus mati lagi")
    citizen.wait_for("kami buka kembali")
    expect(sari.locator("#status")).to_have_text("Sedang ditangani", timeout=LIVE_WITHIN)
    expect(sari.locator(".history")).to_contain_text("nyala sebentar terus mati lagi")
    expect(sari.locator("#closure")).to_contain_text("dibuka kembali")
    shot(sari, "ticket-talk-2-reopened")

    # Fixed for real: the citizen confirms and rates it.
    before = len(citizen.received())
    close(sari, "Kabel lampu diganti, sudah dicek malam hari.")
    citizen.wait_for("Apakah masalahnya sudah beres?", after=before)
    form_opened(site, citizen, "closure_form")
    citizen.send(Body="1")  # "Sudah beres"
    citizen.wait_for("penilaian", after=before)
    citizen.send(Body="5")
    citizen.wait_for("kami nyatakan selesai", after=before)
    expect(sari.locator("#closure")).to_contain_text("sudah beres", timeout=LIVE_WITHIN)
    expect(sari.locator("#closure")).to_contain_text("5/5")
    row = ticket_of(site, citizen)
    assert (row.closure_state, row.citizen_rating) == ("confirmed", 5)
    shot(sari, "ticket-talk-3-confirmed")
    sari.context.close()


def test_a_misrouted_report_is_transferred_on_a_phone(
    site: Dict[str, Any], browser: Browser
) -> None:
    number = file_report(site["url"], description="Jalan berlubang besar, bukan lampu")
    sari = signed_in_page(browser, site["url"], "sari", f"/console/tickets/{number}", PHONE)
    sari.get_by_label("Dinas tujuan").select_option(
        label="Dinas Pekerjaan Umum dan Penataan Ruang (PUPR)"
    )
    sari.get_by_label("Alasan", exact=True).fill("Ini jalan rusak, bukan lampu jalan.")
    sari.get_by_role("button", name="Alihkan", exact=True).click()
    expect(sari.locator("#moved")).to_contain_text(number)
    shot(sari, "ticket-talk-4-transferred-390")
    response = sari.goto(f"{site['url']}/console/tickets/{number}")
    assert response is not None and response.status == 404  # no longer dishub's
    sari.context.close()


def test_a_second_reporter_of_the_same_light_follows_the_open_report(
    site: Dict[str, Any], twilio: FakeTwilio
) -> None:
    existing = file_report(site["url"], description="Lampu jalan depan toko emas mati")
    citizen = Citizen(site["rasa"].url, twilio)
    citizen.send(Body="lampu jalan mati di depan toko emas jl dhoho")
    citizen.wait_for("")
    citizen.send(Latitude="-7.816731", Longitude="112.012012", Address="Jl. Dhoho")
    citizen.wait_for("Kelurahan Setonogedong")
    citizen.wait_for("nomor pada tiang")
    citizen.send(Body="lewati")
    citizen.wait_for("kirim foto")
    citizen.send(Body="lewati")
    summary = citizen.wait_for("Apakah sudah benar?")
    assert f"Laporan serupa di dekat lokasi ini sudah kami terima: *{existing}*" in summary
    assert f"2. Ikuti {existing}" in summary
    citizen.send(Body="2")
    followed = citizen.wait_for("kami gabungkan")
    assert existing in followed
    mine = ticket_of(site, citizen)
    assert mine.workflow_status == "duplikat" and mine.service_request_id in followed
    # The older report's news reaches this reporter too.
    run(move(site["database_url"], existing, "diproses"))
    notice = citizen.wait_for("Status: Sedang ditangani")
    assert existing in notice

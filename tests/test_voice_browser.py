"""The 112 voice line in the console, in a real headless Chromium (Debian's)
against a real backend on PostgreSQL whose Twilio is the fake one: an
operator on duty with a desk phone sees a caller reach the queue live,
takes the call (the fake Twilio is asked to dial the desk phone), sorts it
as a fire with Damkar, and the incident's timeline shows it. The webhooks
are posted over HTTP, signed as Twilio signs them (tests/voice_line.py).
Screenshots go to reports/voice-*.png."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from typing import Any, Dict, Iterator, Tuple

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests import servers
from tests.backend.console.helpers import make_person
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.console_pages import LAPTOP, PHONE, live_now, run, shot, signed_in_page
from tests.fake_twilio import PUBLIC, FakeTwilio
from tests.test_console_incidents_browser import start_shift
from tests.voice_line import SILENCE, Caller, Post, presses, says

pytestmark = pytest.mark.e2e
ALERT_WITHIN = 5000  # ms, as for chat emergencies (tests/test_console_incidents_browser.py)
DESK = "0354 771122"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Iterator[Dict[str, Any]]:
    logs = tmp_path_factory.mktemp("voice-console-logs")
    database_url = _create_postgres_database()
    # Twilio is the fake; the webhooks are signed on the public address Twilio is told.
    env = {**twilio.env(), "TWILIO_WEBHOOK_BASE_URL": PUBLIC}
    try:
        with servers.backend(database_url, logs, extra_env=env) as backend:
            run(make_person(database_url, "wulan", ["operator"]))
            yield {"url": backend.url, "database_url": database_url}
    finally:
        _drop_postgres_database(database_url)


def over_http(base: str) -> Post:
    """`post` for tests/voice_line.Caller: the webhook over HTTP to the real server."""

    async def post(path: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
        response = await asyncio.to_thread(
            requests.post, base + path, data=body, headers=headers, timeout=10
        )
        return response.status_code, response.text

    return post


def call_in(url: str, caller: Caller) -> None:
    assert run(caller.ring(over_http(url))).queued


def test_an_operator_sees_a_call_arrive_takes_it_and_sorts_it_as_a_fire(
    site: Dict[str, Any], browser: Browser, fake: FakeTwilio
) -> None:
    url = site["url"]
    wulan = signed_in_page(browser, url, "wulan", "/console/incidents", LAPTOP)
    start_shift(wulan, DESK)
    wulan.get_by_role("navigation").get_by_role("link", name="Panggilan 112").click()
    wulan.wait_for_url("**/console/panggilan")
    live_now(wulan)
    expect(wulan.locator("#desk")).to_contain_text(DESK)
    expect(wulan.locator("#no-calls")).to_be_visible()
    wulan.evaluate("window.notReloaded = true")

    call_in(url, Caller("+6281234500112", [says("tolong ada kebakaran di pasar setonobetek")]))
    card = wulan.locator("#queue li.call").first
    expect(card).to_be_visible(timeout=ALERT_WITHIN)
    expect(card).to_contain_text("tolong ada kebakaran di pasar setonobetek")
    expect(card).to_contain_text("Penelepon baru")
    assert wulan.evaluate("window.notReloaded") is True  # it came live, not by a reload
    waited = card.locator(".elapsed")
    first = waited.text_content()
    wulan.wait_for_timeout(2100)
    assert waited.text_content() != first  # the waiting time ticks
    shot(wulan, "voice-queue")

    card.get_by_role("button", name="Ambil panggilan").click()
    wulan.wait_for_url("**/console/incidents/*?selesai=diambil")
    expect(wulan.get_by_text("Panggilan sudah Bapak/Ibu ambil")).to_be_visible()
    # Twilio was asked at once to take the caller out of the queue to the desk phone.
    (update,) = fake.call_updates()
    dial = ET.fromstring(update["Twiml"]).find("Dial")
    assert dial is not None and dial.findtext("Number") == DESK
    panel = wulan.locator("#call-panel")
    expect(panel).to_contain_text("Berbicara")
    expect(panel).to_contain_text("tolong ada kebakaran di pasar setonobetek")

    sorting = wulan.locator("#sorting")
    sorting.get_by_label("Darurat sungguhan").check()
    sorting.get_by_label("Jenis keadaan darurat").select_option(label="Kebakaran")
    sorting.get_by_role("checkbox", name="Dinas Pemadam Kebakaran").check()
    sorting.get_by_role("button", name="Simpan jenis panggilan").click()
    expect(wulan.get_by_text("Jenis panggilan sudah dicatat")).to_be_visible()
    expect(wulan.get_by_role("heading", level=1)).to_contain_text("Kebakaran")
    expect(wulan.locator("#call-class")).to_have_text("Darurat sungguhan")
    expect(wulan.locator(".timeline")).to_contain_text("Instansi dihubungi: Dinas Pemadam")
    shot(wulan, "voice-incident")
    wulan.context.close()


def test_the_queue_reads_well_on_a_phone(
    site: Dict[str, Any], browser: Browser, fake: FakeTwilio
) -> None:
    url = site["url"]
    wulan = signed_in_page(browser, url, "wulan", "/console/panggilan", PHONE)
    live_now(wulan)
    # A caller who hung up in the queue, and one who cannot speak and pressed 55.
    gone = Caller("+6281234500777", [says("tolong suami saya jatuh")])
    call_in(url, gone)
    run(gone.status(over_http(url), "completed"))
    call_in(url, Caller("+6281234500555", [SILENCE, presses("55")]))
    silent = wulan.locator("#queue li.call.silent")
    expect(silent).to_be_visible(timeout=ALERT_WITHIN)
    expect(silent).to_contain_text("Tidak bisa bicara (menekan 55)")
    expect(wulan.locator("#dropped li.call")).to_contain_text("tolong suami saya jatuh")
    expect(wulan.locator("#dropped").get_by_role("button", name="Telepon balik")).to_be_visible()
    # Nothing wider than the phone: no sideways scrolling.
    assert wulan.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(wulan, "voice-queue-phone")
    wulan.context.close()

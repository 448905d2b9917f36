"""The department's queue in a real headless Chromium (Debian's) against a real
backend on PostgreSQL: a dishub staff member signs in, a street-light report
filed through the Open311 API appears in her queue live, she opens it (photo,
place, deadline), moves it to "diproses" and then "selesai" with a note, and
a staff member of another department cannot open it. The queue on a phone
is a list of cards. Screenshots: reports/console-tickets-list.png,
console-ticket.png, console-tickets-390.png, console-tickets-map.png."""

from __future__ import annotations

import io
import uuid
from typing import Any, Dict, Iterator, Optional

import pytest
import requests
from PIL import Image
from playwright.sync_api import Browser, expect

from tests import servers
from tests.backend.console.helpers import make_person
from tests.backend.helpers import API_KEY, SETONOGEDONG, valid_form
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.console_pages import LAPTOP, PHONE, SHOTS, live_now, run, shot, signed_in_page

pytestmark = pytest.mark.e2e
LIVE_WITHIN = 5000  # ms: the page hears within a second; the margin is for a loaded machine
REPORTER_PHONE = "+6281299887766"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    logs = tmp_path_factory.mktemp("console-tickets-logs")
    database_url = _create_postgres_database()
    try:
        with servers.backend(database_url, logs, api_key=API_KEY) as backend:
            run(make_person(database_url, "sari", ["staff"], "dishub"))
            run(make_person(database_url, "joko", ["staff"], "dlhkp"))
            yield {"url": backend.url, "database_url": database_url}
    finally:
        _drop_postgres_database(database_url)


def photo(url: str) -> str:
    """A photo stored the way the chat channels store one; its URL."""
    picture = io.BytesIO()
    Image.new("RGB", (480, 360), (40, 60, 90)).save(picture, "JPEG")
    response = requests.post(
        f"{url}/api/v1/media",
        data=picture.getvalue(),
        headers={"Content-Type": "image/jpeg", "X-API-Key": API_KEY},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["url"])


def file_report(
    url: str,
    service: str = "street_light",
    description: str = "Lampu jalan mati sejak 3 hari, gelap sekali",
    address: str = "Jl. Dhoho depan toko emas",
    pin: Optional[tuple[float, float]] = SETONOGEDONG,
    media: Optional[str] = None,
    **attributes: str,
) -> str:
    """A report filed through the Open311 API, as the chatbot files one."""
    form = valid_form(
        service_code=service,
        description=description,
        address_string=address,
        phone=REPORTER_PHONE,
        account_id=f"whatsapp:p-{uuid.uuid4().hex}",  # one citizen each: under the hourly cap
        media_url=media,
        **({"lat": str(pin[0]), "long": str(pin[1])} if pin else {}),
        **{f"attribute[{code}]": value for code, value in attributes.items()},
    )
    response = requests.post(f"{url}/open311/v2/requests.json", data=form, timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()[0]["service_request_id"])


def test_a_new_report_appears_live_and_staff_work_it_to_done(
    site: Dict[str, Any], browser: Browser
) -> None:
    url = site["url"]
    # Some reports already waiting, around the city, and one of another department.
    file_report(url, description="PJU berkedip di perempatan", address="Jl. Hayam Wuruk")
    file_report(
        url,
        description="Lampu lalu lintas mati",
        address="Simpang Mojoroto",
        pin=(-7.8187, 112.0034),
    )
    file_report(url, description="Dua lampu mati", address="Jl. Brawijaya", pin=(-7.8459, 112.047))
    file_report(url, "waste", "Sampah menumpuk di pasar", "Pasar Bandar")
    sari = signed_in_page(browser, url, "sari", "/console/tickets", LAPTOP)
    live_now(sari)
    rows = sari.locator("#ticket-list tbody tr")
    expect(rows).to_have_count(3)
    expect(sari.locator("#ticket-list")).not_to_contain_text("Sampah menumpuk")

    number = file_report(url, media=photo(url))
    row = sari.locator(f'#ticket-list tr[data-ticket="{number}"]')
    expect(row).to_be_visible(timeout=LIVE_WITHIN)  # without a reload
    expect(rows).to_have_count(4)
    expect(row).to_contain_text("Penerangan jalan umum")
    expect(row).to_contain_text("Kel. Setonogedong")
    expect(row).to_contain_text("sisa 2 hari")
    expect(row).to_contain_text("1 foto")
    expect(sari.locator(f'.kelurahan-map circle[data-ticket="{number}"]')).to_have_count(1)
    shot(sari, "console-tickets-list")
    SHOTS.mkdir(exist_ok=True)
    sari.locator(".queue-map").screenshot(path=str(SHOTS / "console-tickets-map.png"))

    row.get_by_role("link", name=number).click()
    sari.wait_for_url(f"**/console/tickets/{number}")
    expect(sari.locator(".photos img")).to_have_count(1)
    expect(sari.locator(".place")).to_contain_text("Kel. Setonogedong, Kec. Kota")
    expect(sari.get_by_role("link", name="Buka peta")).to_have_attribute(
        "href",
        f"https://www.openstreetmap.org/?mlat={SETONOGEDONG[0]:.6f}"
        f"&mlon={SETONOGEDONG[1]:.6f}#map=18/{SETONOGEDONG[0]:.6f}/{SETONOGEDONG[1]:.6f}",
    )
    expect(sari.locator("body")).not_to_contain_text("81299887766")
    expect(sari.get_by_role("heading", name="Alihkan ke dinas lain")).to_be_visible()

    sari.get_by_role("radio", name="Sedang ditangani").check()
    sari.get_by_role("button", name="Simpan status").click()
    expect(sari.get_by_text("Status laporan sudah diubah")).to_be_visible()
    expect(sari.locator("#status")).to_have_text("Sedang ditangani")

    # Closing needs a note: without one the form is refused and what was chosen stays.
    sari.get_by_role("radio", name="Selesai").check()
    sari.get_by_role("button", name="Simpan status").click()
    expect(sari.get_by_text("Mohon tulis catatan")).to_be_visible()
    expect(sari.get_by_role("radio", name="Selesai")).to_be_checked()
    sari.get_by_label("Catatan untuk pelapor").fill("Lampu sudah diganti petugas pagi ini.")
    sari.get_by_role("button", name="Simpan status").click()
    expect(sari.locator("#status")).to_have_text("Selesai")
    expect(sari.locator(".history")).to_contain_text("Lampu sudah diganti petugas pagi ini.")
    expect(sari.locator(".history")).to_contain_text("oleh Sari (sari)")
    shot(sari, "console-ticket")

    # Staff of another department: not found, and not in their queue.
    joko = signed_in_page(browser, url, "joko", "/console/tickets", LAPTOP)
    expect(joko.locator("#ticket-list")).to_contain_text("Sampah menumpuk")
    expect(joko.locator(f'tr[data-ticket="{number}"]')).to_have_count(0)
    response = joko.goto(f"{url}/console/tickets/{number}")
    assert response is not None and response.status == 404
    expect(joko.get_by_text("Laporan ini tidak ditemukan.")).to_be_visible()
    joko.context.close()
    sari.context.close()


def test_the_queue_reads_as_cards_on_a_phone(site: Dict[str, Any], browser: Browser) -> None:
    url = site["url"]
    file_report(url, description="Lampu taman mati", address="Taman Sekartaji")
    sari = signed_in_page(browser, url, "sari", "/console/tickets", PHONE)
    first = sari.locator("#ticket-list tbody tr").first
    expect(first).to_be_visible()
    # A card: the row is as wide as the screen allows, its cells stacked.
    box = first.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    assert sari.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert first.locator("td").first.evaluate("el => getComputedStyle(el).display") == "block"
    shot(sari, "console-tickets-390")
    first.get_by_role("link").first.click()
    expect(sari.get_by_role("button", name="Simpan status")).to_be_visible()
    assert sari.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(sari, "console-ticket-390")
    sari.context.close()


# -- canned replies and the reporter's number (staff extras) ------------------------------


def test_the_head_keeps_canned_replies_and_staff_insert_one_and_reveal_the_number(
    site: Dict[str, Any], browser: Browser
) -> None:
    url = site["url"]
    run(make_person(site["database_url"], "ratna", ["staff_head"], "dishub"))
    ratna = signed_in_page(browser, url, "ratna", "/console/tickets", LAPTOP)
    ratna.get_by_role("navigation", name="Menu utama").get_by_role(
        "link", name="Balasan siap pakai"
    ).click()
    new = ratna.get_by_role("region", name="Tambah balasan")
    new.get_by_label("Judul").fill("Lampu sudah diganti")
    reply = "Lampu sudah kami ganti hari ini. Terima kasih atas laporan Bapak/Ibu."
    new.get_by_label("Isi balasan").fill(reply)
    new.get_by_role("button", name="Tambah balasan").click()
    expect(ratna.get_by_text("Balasan sudah ditambahkan.")).to_be_visible()
    new.get_by_label("Judul").fill("Perlu pengecekan lapangan")
    new.get_by_label("Isi balasan").fill(
        "Laporan Bapak/Ibu sudah kami terima; petugas akan memeriksa ke lokasi."
    )
    new.get_by_role("button", name="Tambah balasan").click()
    expect(ratna.locator(".reply")).to_have_count(2)
    shot(ratna, "petugas-balasan")
    ratna.context.close()

    number = file_report(url, description="Lampu PJU mati di depan masjid", address="Jl. Joyoboyo")
    sari = signed_in_page(browser, url, "sari", f"/console/tickets/{number}", LAPTOP)
    expect(sari.locator("body")).not_to_contain_text("81299887766")
    sari.get_by_label("Sisipkan balasan").select_option(label="Lampu sudah diganti")
    expect(sari.get_by_label("Catatan untuk pelapor")).to_have_value(reply)
    sari.get_by_role("radio", name="Sedang ditangani").check()
    sari.locator(".ticket-actions").screenshot(path=str(SHOTS / "petugas-status-balasan.png"))

    # The number: only with a reason, once, and on the audit record.
    sari.get_by_label("Alasan membuka nomor").fill("Perlu menanyakan letak persis tiang lampu.")
    sari.get_by_role("button", name="Buka nomor pelapor").click()
    box = sari.locator(".revealed")
    expect(box).to_contain_text(f"Nomor pelapor: {REPORTER_PHONE}")
    expect(box).to_contain_text(
        "Dibuka oleh Sari untuk: “Perlu menanyakan letak persis tiang lampu.”"
    )
    expect(box).to_contain_text("tercatat di jejak audit")
    box.scroll_into_view_if_needed()
    sari.locator("#reveal").screenshot(path=str(SHOTS / "petugas-nomor-pelapor.png"))
    sari.goto(f"{url}/console/tickets/{number}")
    expect(sari.get_by_role("button", name="Buka nomor pelapor")).to_be_visible()
    expect(sari.locator("body")).not_to_contain_text("81299887766")
    if sari.locator("#transfer form").count():
        sari.locator("#transfer").screenshot(path=str(SHOTS / "petugas-alihkan.png"))
    sari.context.close()


def test_canned_replies_and_the_number_work_on_a_phone(
    site: Dict[str, Any], browser: Browser
) -> None:
    url = site["url"]
    number = file_report(url, description="Lampu gang mati", address="Gang Melati")
    sari = signed_in_page(browser, url, "sari", f"/console/tickets/{number}", PHONE)
    expect(sari.get_by_role("button", name="Buka nomor pelapor")).to_be_visible()
    assert sari.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(sari, "petugas-laporan-ponsel")
    sari.context.close()


def test_the_category_answers_show_and_an_nik_opens_only_with_a_reason(
    site: Dict[str, Any], browser: Browser
) -> None:
    url, nik = site["url"], "3571015708900001"
    run(make_person(site["database_url"], "wulan", ["staff"], "dinsos"))
    number = file_report(
        url, "social_aid", "BPNT ibu saya tidak cair 3 bulan", "RT 02 RW 05, Kel. Bangsal",
        program="bpnt", nik=nik,
    )  # fmt: skip
    wulan = signed_in_page(browser, url, "wulan", f"/console/tickets/{number}", LAPTOP)
    facts = wulan.locator("dl").first
    expect(facts).to_contain_text("Program bantuan")
    expect(facts).to_contain_text("BPNT")
    expect(facts).to_contain_text("…0001 (tersegel")
    expect(wulan.locator("body")).not_to_contain_text(nik)
    shot(wulan, "petugas-rincian-kategori")
    wulan.get_by_label("Alasan membuka nomor").fill("Cek data penerima di DTKS untuk bulan ini.")
    wulan.get_by_role("button", name="Buka nomor dan NIK pelapor").click()
    box = wulan.locator(".revealed")
    expect(box).to_contain_text(f"NIK penerima: {nik}")
    box.scroll_into_view_if_needed()
    wulan.locator("#reveal").screenshot(path=str(SHOTS / "petugas-nik-dibuka.png"))
    wulan.goto(f"{url}/console/tickets/{number}")
    expect(wulan.locator("body")).not_to_contain_text(nik)
    wulan.context.close()

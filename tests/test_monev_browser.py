"""The monev dashboard and the public /statistik page in a real headless
Chromium (Debian's) against a real backend on PostgreSQL holding a
generated year of traffic (tests/bench/monev_data.py at 2%): a monev user
signs in, reads the summary, changes the period, opens each view, exports a
table as CSV and opens the printable report; a citizen opens /statistik on a
phone. The figures on the page are checked against the database.
Screenshots: reports/monev-*.png, reports/statistik*.png, reports/monev-cetak.pdf."""

from __future__ import annotations

import csv
from typing import Any, Dict, Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from backend.monev import period as periods
from backend.monev import public
from backend.tables import tickets
from lapor.db import create_engine
from tests import servers
from tests.backend.console.helpers import make_person
from tests.bench.monev_data import fill
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.console_pages import LAPTOP, PHONE, SHOTS, run, shot, signed_in_page

pytestmark = pytest.mark.e2e
SCALE = 0.02  # 20,000 messages, 2,000 tickets, 100 incidents, 400 calls over the year


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    logs = tmp_path_factory.mktemp("monev-logs")
    database_url = _create_postgres_database()
    try:
        fill(database_url, SCALE, progress=lambda line: None)
        with servers.backend(database_url, logs) as backend:
            run(make_person(database_url, "wati", ["monev"]))
            yield {"url": backend.url, "database_url": database_url}
    finally:
        _drop_postgres_database(database_url)


def received(database_url: str, days: int) -> int:
    """Tickets received over the last `days` WIB days, counted straight from the table."""
    chosen = periods.default(days)

    async def count() -> int:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                statement = select(func.count()).where(
                    tickets.c.requested_at >= chosen.start, tickets.c.requested_at < chosen.end
                )
                return int((await conn.execute(statement)).scalar_one())
        finally:
            await engine.dispose()

    return run(count())


def figure(page: Any, table: str, row: str) -> str:
    """The 'Periode ini' cell of a row of a figure table."""
    cells = page.locator(f'table[data-table="{table}"] tr', has_text=row).first.locator("td")
    return str(cells.first.inner_text()).replace(".", "")


def test_a_monev_user_reads_compares_and_exports_the_figures(
    browser: Browser, site: Dict[str, Any]
) -> None:
    url, database_url = site["url"], site["database_url"]
    page = signed_in_page(browser, url, "wati", "/console/monev")
    expect(page.get_by_role("heading", name="Monitoring dan evaluasi")).to_be_visible()
    expect(page.locator(".period-line")).to_contain_text("(30 hari)")
    month = received(database_url, 30)
    assert int(figure(page, "ringkasan", "Laporan dinas masuk")) == month > 0
    expect(page.locator("svg.trend")).to_have_count(2)
    shot(page, "monev-ringkasan")

    # Another period: the last 90 days, typed into the form.
    quarter = periods.default(90)
    page.get_by_label("Dari tanggal").fill(quarter.first.isoformat())
    page.get_by_label("Sampai tanggal").fill(quarter.last.isoformat())
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_url(f"**dari={quarter.first.isoformat()}**")
    expect(page.locator(".period-line")).to_contain_text("(90 hari)")
    assert (
        int(figure(page, "ringkasan", "Laporan dinas masuk")) == received(database_url, 90) > month
    )

    page.get_by_role("link", name="Laporan dinas", exact=True).click()
    page.wait_for_url("**/console/monev/laporan?**")
    expect(page.locator(".kelurahan-map path.area")).to_have_count(46)
    expect(page.locator("svg.bars rect.bar").first).to_be_visible()
    shot(page, "monev-laporan")
    page.locator(".kelurahan-map").screenshot(path=str(SHOTS / "monev-peta.png"))

    with page.expect_download() as download:
        page.locator("#laporan_dinas .csv").click()
    saved = download.value
    assert saved.suggested_filename == (
        f"monev-laporan_dinas-{quarter.first.isoformat()}-{quarter.last.isoformat()}.csv"
    )
    with open(saved.path(), encoding="utf-8-sig") as exported:
        rows = list(csv.reader(exported))
    assert rows[0][:3] == ["Dinas", "Masuk", "Masuk periode sebelumnya"]
    assert sum(int(row[1]) for row in rows[1:]) == received(database_url, 90)

    page.get_by_role("link", name="Darurat dan 112").click()
    expect(page.locator('table[data-table="darurat_waktu"]')).to_be_visible()
    expect(page.locator('table[data-table="telepon_jenis"]')).to_contain_text("Hantu")
    shot(page, "monev-darurat")
    page.get_by_role("link", name="Bot dan NLU").click()
    expect(page.locator('table[data-table="nlu_kesehatan"]')).to_contain_text("fallback")
    shot(page, "monev-bot")

    page.get_by_role("link", name="Laporan cetak (A4)").click()
    page.wait_for_url("**/console/monev/cetak?**")
    expect(page.get_by_role("heading", name="Laporan monitoring dan evaluasi")).to_be_visible()
    # Every view's tables: 18, two of them shown in two views.
    expect(page.locator("table.figures")).to_have_count(20)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Cetak / simpan PDF")).to_be_hidden()
    shot(page, "monev-cetak")
    pdf = page.pdf(format="A4", print_background=True)
    (SHOTS / "monev-cetak.pdf").write_bytes(pdf)
    assert (
        pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") + pdf.count(b"/Type /Page ") >= 4
    )


def test_a_citizen_reads_the_public_figures_on_a_phone(
    browser: Browser, site: Dict[str, Any]
) -> None:
    for viewport, name in ((PHONE, "statistik-390"), (LAPTOP, "statistik")):
        page = browser.new_context(viewport=viewport).new_page()
        page.goto(f"{site['url']}/statistik")
        expect(page.get_by_role("heading", name="Statistik laporan warga")).to_be_visible()
        expect(page.locator(".kelurahan-map path.area")).to_have_count(46)
        expect(page.locator('table[data-table="statistik_dinas"] tbody tr').first).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("KDR-")
        # The public page rounds to a multiple of five (backend/monev/public.py).
        rounded = public.shown(received(site["database_url"], 90))
        expect(page.locator(".headline .number").first).to_have_text(
            f"{rounded:,}".replace(",", ".")
        )
        if viewport is PHONE:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
        shot(page, name)
        page.context.close()

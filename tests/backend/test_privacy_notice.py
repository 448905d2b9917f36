"""The citizens' privacy notice at /privasi: Indonesian, public, and honest about
the retention periods the purge applies (read from the same settings)."""

from __future__ import annotations

import re
import uuid

import pytest
from sanic import Sanic

from backend import privacy_notice
from backend.settings import BackendSettings


def notice_app(database_url: str, **overrides: object) -> Sanic:
    from backend.app import create_app

    settings = BackendSettings.load(
        database_url=database_url, open311_api_key="test-api-key", **overrides
    )
    app = create_app(settings, name=f"privasi-{uuid.uuid4().hex[:8]}")
    if "privacy_notice" not in app.blueprints:  # until backend/app.py registers it
        app.blueprint(privacy_notice.bp)
    return app


def cell(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', page)
    assert found, testid
    return found.group(1).strip()


async def test_the_notice_is_public_indonesian_and_names_rights_and_112(
    database_url: str,
) -> None:
    _, response = await notice_app(database_url).asgi_client.get("/privasi")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="id">' in page and "Bapak/Ibu" in page
    assert "UU No. 27 Tahun 2022" in page
    for right in ("salinan", "perbaikan", "penghapusan", "menarik kembali persetujuan"):
        assert right in page
    assert 'href="tel:112"' in page
    assert "Diskominfo" in cell(page, "kontak-privasi")
    # What outlives the purge is said, and where the public can read it.
    assert "jumlah pesan per hari" in page and 'href="/statistik"' in page
    # CSP forbids inline styles and scripts: the page needs neither.
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_the_periods_shown_are_the_settings(database_url: str) -> None:
    _, default = await notice_app(database_url).asgi_client.get("/privasi")
    assert cell(default.text, "retensi-percakapan") == "6 bulan"
    assert cell(default.text, "retensi-laporan") == "1 tahun setelah laporan selesai"
    assert cell(default.text, "retensi-foto") == "3 bulan setelah laporan selesai"
    assert cell(default.text, "retensi-audit") == "2 tahun"
    changed = notice_app(
        database_url,
        retention_conversation_days=45,
        retention_media_days=14,
        privacy_contact="Mal Pelayanan Publik Kota Kediri",
    )
    _, response = await changed.asgi_client.get("/privasi")
    assert cell(response.text, "retensi-percakapan") == "45 hari"
    assert cell(response.text, "retensi-foto") == "14 hari setelah laporan selesai"
    assert cell(response.text, "kontak-privasi") == "Mal Pelayanan Publik Kota Kediri"


async def test_what_the_contact_setting_says_is_shown_as_text_not_markup(
    database_url: str,
) -> None:
    app = notice_app(database_url, privacy_contact='<a href="x">kantor</a>')
    _, response = await app.asgi_client.get("/privasi")
    assert "&lt;a href=" in response.text and '<a href="x">' not in response.text


async def test_the_stylesheet_is_served(database_url: str) -> None:
    _, response = await notice_app(database_url).asgi_client.get("/privasi.css")
    assert response.status == 200 and response.headers["content-type"].startswith("text/css")
    assert "max-width" in response.text


@pytest.mark.parametrize(
    ("days", "said"),
    [(7, "7 hari"), (30, "30 hari"), (90, "3 bulan"), (180, "6 bulan"), (365, "1 tahun"),
     (730, "2 tahun"), (100, "100 hari")],
)  # fmt: skip
def test_periods_read_as_people_say_them(days: int, said: str) -> None:
    assert privacy_notice.period(days) == said


async def test_the_widget_links_the_notice_in_a_new_tab(database_url: str) -> None:
    _, response = await notice_app(database_url).asgi_client.get("/widget.js")
    script = response.text
    assert 'config.backend + "/privasi"' in script
    link = script[script.index('config.backend + "/privasi"') :][:200]
    assert 'target: "_blank"' in link and 'rel: "noopener"' in link
    assert "bar.append(call, privacy, fresh)" in script

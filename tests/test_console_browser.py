"""The city console in a real headless Chromium (Debian's) against the real
backend on PostgreSQL: every role logs in through the form and sees the menu
its role opens, and is refused the rest; the admin creates a user who then
logs in; the users list works on a phone and a laptop; the login form works
from the keyboard. Screenshots go to reports/console-*.png."""

from __future__ import annotations

import asyncio
from typing import Iterator, List
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    ViewportSize,
    expect,
)

from backend import people
from backend.console.views import MENU
from lapor.db import create_engine
from tests import servers
from tests.conftest import _create_postgres_database, _drop_postgres_database

pytestmark = pytest.mark.e2e
SHOTS = servers.REPO_ROOT / "reports"
PASSWORD = "kata-sandi-uji-konsol"
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}


def username(role: str) -> str:
    return f"uji-{role.replace('_', '-')}"


async def _people(database_url: str) -> None:
    """One person per role (staff roles in Dishub), as `create-user` would make them."""
    engine = create_engine(database_url)
    try:
        for role, label in people.ROLES.items():
            department = "dishub" if role in people.DEPARTMENT_ROLES else None
            await people.create_user(
                engine,
                username(role),
                PASSWORD,
                [role],
                display_name=f"Uji {label}",
                department=department,
            )
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database_url = _create_postgres_database()
    try:
        with servers.backend(database_url, tmp_path_factory.mktemp("console-logs")) as backend:
            asyncio.run(_people(database_url))  # the server migrated the database
            yield backend.url
    finally:
        _drop_postgres_database(database_url)


class Watched:
    """A browser context whose pages must not log errors (a CSP refusal of an
    inline script or style shows up here) nor fail to load a file."""

    def __init__(self, browser: Browser, viewport: ViewportSize) -> None:
        self.context: BrowserContext = browser.new_context(viewport=viewport, locale="id-ID")
        self.errors: List[str] = []
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        # Failed loads are judged by their response (below), with the URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response: Response) -> None:
        path = urlsplit(response.url).path
        expected = response.status == 403 and path == "/console/users"
        if response.status >= 400 and not expected and path != "/favicon.ico":
            self.errors.append(f"{response.status} {path}")

    def close(self) -> None:
        self.context.close()
        assert not self.errors, self.errors


def shot(page: Page, name: str, full: bool = False) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=full)


def log_in(page: Page, url: str, who: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/console/")
    expect(page).to_have_url(f"{url}/console/login?next=%2Fconsole%2F")
    page.get_by_label("Nama pengguna").fill(who)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Selamat datang")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("heading", name="Masuk ke konsol")).to_be_visible()


def test_every_role_sees_its_own_menu_and_is_refused_the_rest(site: str, browser: Browser) -> None:
    for role in people.ROLES:
        watched = Watched(browser, LAPTOP)
        page = watched.page
        log_in(page, site, username(role))
        shot(page, f"home-{role}")
        menu = page.get_by_role("navigation", name="Menu utama")
        for item in MENU:
            link = menu.get_by_role("link", name=item.label, exact=True)
            if role in item.roles:
                expect(link).to_be_visible()
            else:
                expect(link).to_have_count(0)
        response = page.goto(f"{site}/console/users")
        assert response is not None
        if role == "admin":
            assert response.status == 200
            expect(page.get_by_role("link", name=username("operator"), exact=True)).to_be_visible()
        else:
            assert response.status == 403, role
            expect(page.get_by_text("Halaman ini bukan untuk peran")).to_be_visible()
        if role == "operator":
            shot(page, "403-operator")
        watched.close()


def test_the_admin_creates_a_user_who_then_logs_in(site: str, browser: Browser) -> None:
    watched = Watched(browser, LAPTOP)
    page = watched.page
    log_in(page, site, username("admin"))
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Pengguna").click()
    page.get_by_role("link", name="Tambah pengguna").click()
    page.get_by_label("Nama pengguna").fill("ratna.dinkes")
    page.get_by_label("Nama tampilan").fill("Ratna Dewi")
    page.get_by_label("Petugas dinas", exact=True).check()
    page.get_by_label("Dinas", exact=True).select_option("dinkes")
    # Typed password: the field is enabled only for "Saya tentukan kata sandinya".
    password_field = page.get_by_label("Kata sandi (minimal 12 karakter)")
    expect(password_field).to_be_disabled()
    page.get_by_label("Saya tentukan kata sandinya").check()
    password_field.fill("kata-sandi-ratna-2026")
    shot(page, "users-new", full=True)
    page.get_by_role("button", name="Buat pengguna").click()
    expect(page.get_by_text("sudah dibuat")).to_be_visible()
    page.get_by_role("link", name="Daftar pengguna").click()
    expect(page.get_by_role("link", name="ratna.dinkes", exact=True)).to_be_visible()
    shot(page, "users-list-laptop")
    page.get_by_role("link", name="ratna.dinkes", exact=True).click()
    shot(page, "users-edit", full=True)
    page.goto(f"{site}/console/audit")
    newest = page.get_by_role("row").nth(1)  # below the header row
    expect(newest).to_contain_text("Membuat pengguna")
    expect(newest).to_contain_text("user/ratna.dinkes")
    expect(newest).to_contain_text(username("admin"))
    shot(page, "audit")
    log_out(page)
    log_in(page, site, "ratna.dinkes", "kata-sandi-ratna-2026")
    expect(page.get_by_text("Petugas dinas")).to_be_visible()
    watched.close()


def test_the_users_list_fits_a_phone(site: str, browser: Browser) -> None:
    watched = Watched(browser, PHONE)
    page = watched.page
    log_in(page, site, username("admin"))
    page.goto(f"{site}/console/users")
    expect(page.get_by_role("link", name=username("staff"), exact=True)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
    shot(page, "users-list-phone")
    shot(page, "users-list-phone-full", full=True)
    page.goto(f"{site}/console/audit")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "audit-phone")
    watched.close()


def test_the_login_form_works_from_the_keyboard(site: str, browser: Browser) -> None:
    watched = Watched(browser, LAPTOP)
    page = watched.page
    page.goto(f"{site}/console/login")
    # Start from the top of the page, as a keyboard user arriving would.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    visited = []
    for _ in range(12):
        page.keyboard.press("Tab")
        visited.append(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
        if visited[-1] == "username":
            break
    assert visited[-1] == "username", visited
    page.keyboard.type(username("triage"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    shot(page, "login-keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Selamat datang")).to_be_visible()
    watched.close()

"""Driving console pages in the browser tests (Playwright's sync API, Debian's Chromium)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Coroutine, TypeVar

from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests import servers
from tests.backend.console.helpers import PASSWORD

T = TypeVar("T")
SHOTS = servers.REPO_ROOT / "reports"
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run database work from a test: Playwright's own loop holds this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def shot(page: Page, name: str) -> None:
    """A full-page screenshot, reports/<name>.png: look at them."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def signed_in_page(
    browser: Browser, url: str, username: str, path: str, viewport: ViewportSize = LAPTOP
) -> Page:
    """A new browser of `username`, signed in through the login form, on `path`."""
    page = browser.new_context(viewport=viewport).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm questions
    page.goto(f"{url}/console/login?next={path}")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"**{path}")
    return page


def live_now(page: Page) -> None:
    expect(page.locator("[data-live-state]")).to_have_attribute("data-state", "open", timeout=15000)

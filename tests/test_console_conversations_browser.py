"""The conversation viewer in a real headless Chromium (Debian's) against a real
backend on PostgreSQL: messages the pipeline stores appear live, on the
transcript and on the list, and a page that lost its connection while the
backend was down gets what it missed, once each, when it comes back.
Screenshots go to reports/console-conversations-*.png."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import insert, update

from backend import live
from backend.tables import conversation_events, conversations
from lapor.db import create_engine
from lapor.timeutil import utcnow
from tests import servers
from tests.backend.console.helpers import make_person
from tests.backend.console.test_conversations import (
    WA,
    add_conversation,
    add_ticket,
    complaint,
)
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.console_pages import LAPTOP, PHONE, live_now, run, shot, signed_in_page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    logs = tmp_path_factory.mktemp("console-conversations-logs")
    database_url = _create_postgres_database()
    try:
        with servers.backend(database_url, logs) as backend:
            run(make_person(database_url, "sari", ["triage"]))
            yield {"url": backend.url, "database_url": database_url, "logs": logs}
    finally:
        _drop_postgres_database(database_url)


def say(
    database_url: str,
    conversation_id: int,
    sender_key: str,
    kind: str,
    text: str,
    origin: Optional[str] = None,
) -> None:
    """Store a message and publish its live event in one transaction, as the pipeline does."""

    async def publish() -> None:
        engine = create_engine(database_url)
        at = utcnow()
        try:
            async with engine.begin() as conn:
                intent = "lapor_keluhan" if kind == "user" else None
                result = await conn.execute(
                    insert(conversation_events).values(
                        conversation_id=conversation_id,
                        event_key=uuid.uuid4().hex,
                        kind=kind,
                        at=at,
                        text=text,
                        intent=intent,
                        confidence=0.88 if kind == "user" else None,
                        channel="whatsapp" if kind == "user" else None,
                        origin=origin,
                    )
                )
                counter = conversations.c.user_messages if kind == "user" else None
                values: Dict[str, Any] = {"last_event_at": at}
                if counter is not None:
                    values["user_messages"] = counter + 1
                else:
                    values["bot_messages"] = conversations.c.bot_messages + 1
                await conn.execute(
                    update(conversations)
                    .where(conversations.c.id == conversation_id)
                    .values(**values)
                )
                await live.publish(
                    conn,
                    "conversation",
                    {
                        "conversation_id": conversation_id,
                        "sender_key": sender_key,
                        "kind": kind,
                        "text": text,
                        "intent": intent,
                        "confidence": 0.88 if kind == "user" else None,
                        "at": at.isoformat(),
                        "event_id": int(result.inserted_primary_key[0]),
                        "channel": "whatsapp",
                        "origin": origin,
                    },
                    roles=("triage", "admin"),
                )
        finally:
            await engine.dispose()

    run(publish())


def test_a_new_message_appears_in_the_open_transcript_without_reload(
    site: Dict[str, Any], browser: Browser
) -> None:
    db = site["database_url"]
    conversation_id = run(
        add_conversation(db, WA, complaint(), start=utcnow() - timedelta(minutes=10))
    )
    run(add_ticket(db, "KDR-2026-000123", WA))
    path = f"/console/conversations/{conversation_id}"
    page = signed_in_page(browser, site["url"], "sari", path, LAPTOP)
    live_now(page)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    attack = "masih mati pak <b>tolong</b> 0812****7890"
    say(db, conversation_id, WA, "user", attack)
    message = page.locator(".msg-user", has_text="masih mati pak")
    expect(message).to_have_count(1, timeout=10000)
    expect(message.locator(".text")).to_have_text(attack)  # text, not markup
    expect(message.locator(".nlu")).to_contain_text("lapor_keluhan · 88%")
    say(db, conversation_id, WA, "bot", "Baik, kami teruskan ke petugas.", origin="operator")
    expect(page.locator(".msg-operator", has_text="kami teruskan")).to_be_visible(timeout=10000)
    expect(page.locator('.details [data-count="user"]')).to_have_text("2")
    assert page.evaluate("window.__sameDocument") is True
    shot(page, "console-conversations-transcript-1366")

    phone = signed_in_page(browser, site["url"], "sari", path, PHONE)
    live_now(phone)
    shot(phone, "console-conversations-transcript-390")
    phone.context.close()
    page.context.close()


def test_the_list_moves_a_conversation_with_a_new_message_to_the_top(
    site: Dict[str, Any], browser: Browser
) -> None:
    db = site["database_url"]
    quiet = run(
        add_conversation(
            db,
            "whatsapp:p-aaaa1111bbbb2222",
            complaint(),
            start=utcnow() - timedelta(hours=3),
        )
    )
    run(
        add_conversation(
            db, "web-" + uuid.uuid4().hex, complaint(), "socketio", utcnow() - timedelta(hours=1)
        )
    )
    page = signed_in_page(browser, site["url"], "sari", "/console/conversations", LAPTOP)
    live_now(page)
    first_row = page.locator("#convo-rows tr").first
    expect(first_row).not_to_have_attribute("data-conversation-id", str(quiet))
    say(db, quiet, "whatsapp:p-aaaa1111bbbb2222", "user", "halo, sudah ada kabar?")
    expect(first_row).to_have_attribute("data-conversation-id", str(quiet), timeout=10000)
    expect(first_row.locator('[data-count="user"]')).to_have_text("2")
    # A conversation the page has never seen is added at the top.
    fresh_key = "whatsapp:p-cccc3333dddd4444"
    fresh = run(add_conversation(db, fresh_key, [], start=utcnow()))
    say(db, fresh, fresh_key, "user", "pertama kali lapor <i>jalan berlubang</i>")
    expect(first_row).to_have_attribute("data-conversation-id", str(fresh), timeout=10000)
    expect(first_row.locator('[data-field="preview"]')).to_have_text(
        "pertama kali lapor <i>jalan berlubang</i>"
    )
    shot(page, "console-conversations-list-1366")
    phone = signed_in_page(browser, site["url"], "sari", "/console/conversations", PHONE)
    shot(phone, "console-conversations-list-390")
    phone.context.close()
    page.context.close()


def test_a_transcript_cut_off_while_the_backend_is_down_gets_what_it_missed_once(
    site: Dict[str, Any], browser: Browser, tmp_path: Path
) -> None:
    db = site["database_url"]
    key = "whatsapp:p-eeee5555ffff6666"
    conversation_id = run(add_conversation(db, key, complaint(), start=utcnow()))
    path = f"/console/conversations/{conversation_id}"
    # A backend of its own on a fixed port, so it can come back where the page looks.
    port = servers.free_port()
    backend = servers.start_backend(db, site["logs"], port=port)
    try:
        page = signed_in_page(browser, backend.url, "sari", path, LAPTOP)
        live_now(page)
        say(db, conversation_id, key, "user", "pesan sebelum putus")
        expect(page.locator(".msg", has_text="pesan sebelum putus")).to_have_count(1, timeout=10000)
        backend.process.kill()  # a crash: no goodbye to the open stream
        backend.process.wait()
        expect(page.locator("[data-live-state]")).to_have_attribute(
            "data-state", "retry", timeout=10000
        )
        missed = [f"pesan saat putus {n}" for n in range(3)]
        for text in missed:
            say(db, conversation_id, key, "user", text)
        backend = servers.start_backend(db, site["logs"], port=port)
        for text in missed:
            expect(page.locator(".msg", has_text=text)).to_have_count(1, timeout=20000)
        live_now(page)
        say(db, conversation_id, key, "user", "pesan setelah sambung lagi")
        expect(page.locator(".msg", has_text="pesan setelah sambung lagi")).to_have_count(
            1, timeout=10000
        )
        page.wait_for_timeout(500)  # a duplicate would arrive with its original
        expect(page.locator(".msg", has_text="pesan sebelum putus")).to_have_count(1)
        for text in missed:
            expect(page.locator(".msg", has_text=text)).to_have_count(1)
        page.context.close()
    finally:
        backend.stop()

"""The read-only conversation viewer: who may read, finding a conversation by
ticket number or pseudonym, the transcript, and the audit record of a read."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional
from urllib.parse import quote

from sanic import Sanic
from sqlalchemy import insert, select

from backend import people
from backend.console.conversations import READERS
from backend.tables import audit_log, conversation_events, conversations, tickets
from lapor.db import create_engine
from tests.backend.console.helpers import signed_in

T0 = datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc)  # 10.00 WIB
WA = "whatsapp:p-3f2a91c0d4e5b6a7980112233445566"


async def add_conversation(
    database_url: str,
    sender_key: str,
    events: List[Dict[str, Any]],
    channel: Optional[str] = "whatsapp",
    start: datetime = T0,
) -> int:
    """A conversation as the pipeline stores it, with its events (one a minute)."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            last = start + timedelta(minutes=max(len(events) - 1, 0))
            result = await conn.execute(
                insert(conversations).values(
                    sender_key=sender_key,
                    channel=channel,
                    started_at=start,
                    last_event_at=last,
                    user_messages=sum(e["kind"] == "user" for e in events),
                    bot_messages=sum(e["kind"] == "bot" for e in events),
                )
            )
            conversation_id = int(result.inserted_primary_key[0])
            for n, event in enumerate(events):
                await conn.execute(
                    insert(conversation_events).values(
                        conversation_id=conversation_id,
                        event_key=uuid.uuid4().hex,
                        at=start + timedelta(minutes=n),
                        **event,
                    )
                )
        return conversation_id
    finally:
        await engine.dispose()


async def add_ticket(database_url: str, number: str, account_id: Optional[str]) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(tickets).values(
                    service_request_id=number,
                    service_code="street_light",
                    agency_responsible="dishub",
                    description="Lampu jalan mati",
                    status="open",
                    workflow_status="diterima",
                    media_urls=[],
                    attributes={},
                    channel="whatsapp",
                    account_id=account_id,
                    requested_at=T0,
                    updated_at=T0,
                    expected_at=T0 + timedelta(days=3),
                )
            )
    finally:
        await engine.dispose()


def complaint() -> List[Dict[str, Any]]:
    return [
        {"kind": "session"},
        {
            "kind": "user",
            "text": "lampu jalan di gang 3 mati, hubungi 0812****7890",
            "intent": "lapor_keluhan",
            "confidence": 0.934,
            "entities": [{"entity": "kategori", "value": "lampu jalan", "start": 0, "end": 11}],
            "channel": "whatsapp",
        },
        {"kind": "action", "action": "action_submit_complaint"},
        {
            "kind": "bot",
            "text": "Laporan Bapak/Ibu sudah kami terima.",
            "origin": "bot",
            "data": {"buttons": [{"title": "Cek status", "payload": "/cek_status"}]},
        },
        {"kind": "bot", "text": "Laporan sedang ditangani Dishub.", "origin": "city"},
        {
            "kind": "bot",
            "text": "Petugas 112 di sini, ada yang bisa dibantu?",
            "origin": "operator",
        },
    ]


async def test_triage_and_admin_see_the_list_with_a_preview_of_the_first_message(
    app: Sanic, database_url: str
) -> None:
    older = await add_conversation(database_url, "web-session-older", complaint(), "socketio")
    newer = await add_conversation(database_url, WA, complaint(), start=T0 + timedelta(hours=1))
    for name, role in (("sari", "triage"), ("adi", "admin")):
        browser = await signed_in(database_url, name, [role])
        _, response = await app.asgi_client.get("/console/conversations", headers=browser.headers)
        assert response.status == 200
        text = response.text
        assert text.index(f'href="/console/conversations/{newer}"') < text.index(
            f'href="/console/conversations/{older}"'
        ), "most recently active first"
        assert "lampu jalan di gang 3 mati" in text
        assert "WhatsApp" in text and "Web" in text
        assert "29 Nov 2026 11.05" in text  # the newer one's last activity, in WIB
        assert 'data-live-topics="conversation"' in text


async def test_the_list_pages_with_a_cursor_without_repeating_a_conversation(
    app: Sanic, database_url: str
) -> None:
    ids = [
        await add_conversation(
            database_url,
            f"web-{n}",
            [{"kind": "user", "text": f"pesan {n}"}],
            "socketio",
            start=T0 + timedelta(minutes=n),
        )
        for n in range(27)
    ]
    browser = await signed_in(database_url, "sari", ["triage"])
    _, first = await app.asgi_client.get("/console/conversations", headers=browser.headers)
    assert "Percakapan lebih lama" in first.text
    cursor = first.text.split("/console/conversations?before=")[1].split('"')[0]
    _, second = await app.asgi_client.get(
        f"/console/conversations?before={cursor}", headers=browser.headers
    )
    assert second.status == 200
    shown_first = [i for i in ids if f'href="/console/conversations/{i}"' in first.text]
    shown_second = [i for i in ids if f'href="/console/conversations/{i}"' in second.text]
    assert len(shown_first) == 25 and sorted(shown_second) == ids[:2]
    assert "Percakapan lebih lama" not in second.text
    assert "data-live-topics" not in second.text  # an older page stays put


async def test_other_roles_are_refused_and_anonymous_readers_sent_to_login(
    app: Sanic, database_url: str
) -> None:
    conversation_id = await add_conversation(database_url, WA, complaint())
    # Every role but triage and admin, held by one person: none of them opens the viewer.
    others = sorted(set(people.ROLES) - READERS)
    browser = await signed_in(database_url, "orang-lain", others, department="dishub")
    for path in ("/console/conversations", f"/console/conversations/{conversation_id}"):
        _, response = await app.asgi_client.get(path, headers=browser.headers)
        assert response.status == 403, path
        assert "lampu jalan" not in response.text
    app.asgi_client.cookies.clear()
    _, response = await app.asgi_client.get(
        f"/console/conversations/{conversation_id}", follow_redirects=False
    )
    assert response.status in (302, 303)
    assert response.headers["location"].startswith("/console/login?next=")


async def test_a_ticket_number_finds_the_conversation_that_filed_it(
    app: Sanic, database_url: str
) -> None:
    mine = await add_conversation(database_url, WA, complaint())
    other = await add_conversation(database_url, "whatsapp:p-ffff0000", complaint())
    await add_ticket(database_url, "KDR-2026-000123", WA)
    browser = await signed_in(database_url, "sari", ["triage"])
    # Typed in lower case and with spaces around, as people paste it.
    _, response = await app.asgi_client.get(
        "/console/conversations?q=%20kdr-2026-000123%20", headers=browser.headers
    )
    assert response.status == 200
    assert f'href="/console/conversations/{mine}"' in response.text
    assert f'href="/console/conversations/{other}"' not in response.text


async def test_a_ticket_not_from_a_chat_or_unknown_says_so(app: Sanic, database_url: str) -> None:
    await add_conversation(database_url, WA, complaint())
    await add_ticket(database_url, "KDR-2026-000124", None)  # filed by an Open311 client
    browser = await signed_in(database_url, "sari", ["triage"])
    _, response = await app.asgi_client.get(
        "/console/conversations?q=KDR-2026-000124", headers=browser.headers
    )
    assert response.status == 200
    assert "tidak dibuat lewat percakapan" in response.text
    assert "/console/conversations/" not in response.text.split("</form>")[1]
    _, response = await app.asgi_client.get(
        "/console/conversations?q=KDR-2026-999999", headers=browser.headers
    )
    assert "Laporan KDR-2026-999999 tidak ditemukan." in response.text


async def test_a_pseudonym_or_its_prefix_finds_the_conversation(
    app: Sanic, database_url: str
) -> None:
    mine = await add_conversation(database_url, WA, complaint())
    other = await add_conversation(database_url, "whatsapp:p-3f2b00000000", complaint())
    browser = await signed_in(database_url, "sari", ["triage"])
    for query in (WA, "whatsapp:p-3f2a91", "3f2a91", "3f2a91c0"):
        _, response = await app.asgi_client.get(
            f"/console/conversations?q={quote(query)}", headers=browser.headers
        )
        assert response.status == 200, query
        assert f'href="/console/conversations/{mine}"' in response.text, query
        assert f'href="/console/conversations/{other}"' not in response.text, query


async def test_a_short_prefix_does_not_list_the_city(app: Sanic, database_url: str) -> None:
    await add_conversation(database_url, WA, complaint())
    browser = await signed_in(database_url, "sari", ["triage"])
    for query in ("3f2a", "whatsapp:p-", "whatsapp:p-3f"):
        _, response = await app.asgi_client.get(
            f"/console/conversations?q={quote(query)}", headers=browser.headers
        )
        assert response.status == 200
        assert "/console/conversations/" not in response.text.split("</form>")[1], query
        assert "minimal 6 karakter" in response.text


async def test_a_like_wildcard_in_the_query_is_taken_literally(
    app: Sanic, database_url: str
) -> None:
    await add_conversation(database_url, WA, complaint())
    browser = await signed_in(database_url, "sari", ["triage"])
    _, response = await app.asgi_client.get(
        f"/console/conversations?q={quote('%%%%%%%')}", headers=browser.headers
    )
    assert response.status == 200
    assert "Tidak ada percakapan dengan pseudonim itu." in response.text


async def test_a_bad_query_gets_a_clear_message_not_an_error(app: Sanic, database_url: str) -> None:
    browser = await signed_in(database_url, "sari", ["triage"])
    cases = {
        "x" * 129: "terlalu panjang",
        "abc\x00def": "karakter yang tidak dapat dicari",
        "abc\u202edef": "karakter yang tidak dapat dicari",
    }
    for query, message in cases.items():
        _, response = await app.asgi_client.get(
            f"/console/conversations?q={quote(query)}", headers=browser.headers
        )
        assert response.status == 400, repr(query)
        assert message in response.text
        assert 'role="alert"' in response.text
    _, response = await app.asgi_client.get(
        "/console/conversations?before=abc", headers=browser.headers
    )
    assert response.status == 400
    assert "Tautan halaman tidak valid." in response.text


async def test_the_transcript_shows_each_kind_of_event_in_wib(
    app: Sanic, database_url: str
) -> None:
    conversation_id = await add_conversation(database_url, WA, complaint())
    await add_ticket(database_url, "KDR-2026-000123", WA)
    browser = await signed_in(database_url, "adi", ["admin"])
    _, response = await app.asgi_client.get(
        f"/console/conversations/{conversation_id}", headers=browser.headers
    )
    assert response.status == 200
    text = response.text
    assert "Sesi baru dimulai" in text
    assert "lampu jalan di gang 3 mati, hubungi 0812****7890" in text
    assert "<code>lapor_keluhan</code> · 93%" in text
    assert "kategori: lampu jalan" in text
    assert "aksi: <code>action_submit_complaint</code>" in text
    assert 'class="msg msg-bot"' in text and "<li>Cek status</li>" in text
    assert 'class="msg msg-city"' in text and "Pemberitahuan kota" in text
    assert 'class="msg msg-operator"' in text and "Operator 112" in text
    assert "Minggu, 29 November 2026" in text  # the day, in WIB
    assert ">10.01</time>" in text  # the citizen's message, 03.01 UTC
    # The ticket it filed: number, category and status, no link to a page that does not exist.
    assert "KDR-2026-000123" in text
    assert "Penerangan jalan umum" in text
    assert "Diterima, menunggu verifikasi" in text
    assert "<form" not in text.split('id="isi"')[1], "read-only: no forms in the page's body"


async def test_reading_a_conversation_is_audited(app: Sanic, database_url: str) -> None:
    conversation_id = await add_conversation(database_url, WA, complaint())
    browser = await signed_in(database_url, "sari", ["triage"])
    await app.asgi_client.get(f"/console/conversations/{conversation_id}", headers=browser.headers)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = list(
                await conn.execute(
                    select(audit_log).where(audit_log.c.action == "conversation.view")
                )
            )
    finally:
        await engine.dispose()
    assert [(r.actor, r.record_type, r.record_id) for r in rows] == [
        ("sari", "conversation", str(conversation_id))
    ]


async def test_an_unknown_conversation_is_a_404_page(app: Sanic, database_url: str) -> None:
    browser = await signed_in(database_url, "sari", ["triage"])
    _, response = await app.asgi_client.get(
        "/console/conversations/999999", headers=browser.headers
    )
    assert response.status == 404
    assert "Percakapan ini tidak ditemukan." in response.text


async def test_html_a_citizen_typed_is_shown_as_text(app: Sanic, database_url: str) -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    conversation_id = await add_conversation(
        database_url,
        WA,
        [
            {
                "kind": "user",
                "text": attack,
                "entities": [{"entity": "<b>e</b>", "value": "<i>v</i>"}],
            },
            {"kind": "bot", "text": "ok", "data": {"buttons": [{"title": "<u>t</u>"}]}},
        ],
    )
    browser = await signed_in(database_url, "sari", ["triage"])
    for path in ("/console/conversations", f"/console/conversations/{conversation_id}"):
        _, response = await app.asgi_client.get(path, headers=browser.headers)
        assert "<script>alert" not in response.text
        assert "<img src=x" not in response.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text
    assert "&lt;b&gt;e&lt;/b&gt;: &lt;i&gt;v&lt;/i&gt;" in response.text
    assert "&lt;u&gt;t&lt;/u&gt;" in response.text

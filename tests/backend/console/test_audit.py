"""The admin's audit log page: newest first, paged by id, filtered."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import List, Optional
from urllib.parse import urlencode

import pytest
from sanic import Sanic

from backend import people
from lapor.db import create_engine
from tests.backend.console.helpers import Browser, signed_in


async def admin(database_url: str) -> Browser:
    return await signed_in(database_url, "admin-utama", ["admin"])


async def record(
    database_url: str,
    entries: List[tuple[str, str, Optional[str], Optional[str], dict]],
    when: Optional[datetime] = None,
) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            for actor, action, record_type, record_id, detail in entries:
                await people.audit(conn, actor, action, record_type, record_id, detail, when)
    finally:
        await engine.dispose()


def rows(text: str) -> List[str]:
    """The table's rows, as text, top to bottom."""
    body = text.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in text else ""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in body.split("<tr>")[1:]]


async def test_the_audit_log_shows_the_changes_just_made(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    form = {
        "csrf_token": me.csrf,
        "username": "sari",
        "display_name": "Sari",
        "roles": ["triage"],
        "password_mode": "acak",
    }
    await app.asgi_client.post(
        "/console/users/new", content=urlencode(form, doseq=True), headers=me.form_headers()
    )
    body = urlencode({"csrf_token": me.csrf, "active": "0"})
    await app.asgi_client.post(
        "/console/users/sari/active", content=body, headers=me.form_headers()
    )
    _, response = await app.asgi_client.get("/console/audit", headers=me.headers)
    assert response.status == 200
    shown = rows(response.text)
    assert "Menonaktifkan akun" in shown[0] and "admin-utama" in shown[0]
    assert "user/sari" in shown[0]
    assert "Membuat pengguna" in shown[1] and '"roles": ["triage"]' in response.text.replace(
        "&#34;", '"'
    )
    assert "WIB" in response.text


async def test_unknown_actions_show_their_code_and_details_are_escaped(
    app: Sanic, database_url: str
) -> None:
    me = await admin(database_url)
    await record(database_url, [("sistem", "ticket.reassign", "ticket", "KDR-1", {"x": "<b>"})])
    _, response = await app.asgi_client.get("/console/audit", headers=me.headers)
    assert "ticket.reassign" in response.text
    assert "<b>" not in response.text and "&lt;b&gt;" in response.text


async def test_the_log_is_paged_newest_first_by_id(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    await record(database_url, [("sistem", "x.step", "n", str(i), {}) for i in range(1, 61)])
    _, first = await app.asgi_client.get("/console/audit?action=x.step", headers=me.headers)
    shown = rows(first.text)
    assert len(shown) == 50
    assert "n/60" in shown[0] and "n/11" in shown[-1]
    older = re.search(r'href="(/console/audit\?[^"]+)" rel="next"', first.text)
    assert older, "a link to older entries"
    _, second = await app.asgi_client.get(older.group(1).replace("&amp;", "&"), headers=me.headers)
    shown = rows(second.text)
    assert [r.split("n/")[1].split()[0] for r in shown] == [str(i) for i in range(10, 0, -1)]
    assert 'rel="next"' not in second.text
    assert "Terbaru" in second.text


async def test_the_filters_narrow_the_log(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    await record(
        database_url,
        [
            ("budi", "user.disable", "user", "sari", {}),
            ("budi", "user.roles", "user", "tono", {"roles": ["operator"]}),
            ("sari", "login", "user", "sari", {}),
            ("system", "retention.purge", None, None, {"audit": 3}),
        ],
    )

    async def shown(query: str) -> List[str]:
        _, response = await app.asgi_client.get(f"/console/audit?{query}", headers=me.headers)
        assert response.status == 200, query
        return rows(response.text)

    by_budi = await shown("actor=BUDI")
    assert len(by_budi) == 2 and all("budi" in r for r in by_budi)
    users = await shown("action=user")  # a prefix: every user.* action
    # (the admin's own user.create, made by the fixture, is one of them)
    assert len(users) == 3 and not any("login" in r or "purge" in r for r in users)
    assert len(await shown("action=user.roles")) == 1
    about_sari = await shown("record_type=user&record_id=sari")
    assert len(about_sari) == 2 and all("user/sari" in r for r in about_sari)
    purge = await shown("action=retention.purge")
    assert len(purge) == 1 and "Menghapus data lewat masa simpan" in purge[0]
    assert await shown("actor=nobody") == []


async def test_the_date_range_is_read_in_wib(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    # 28 Mar 18.00 UTC is already 29 Mar 01.00 WIB.
    await record(
        database_url,
        [("budi", "a.late", None, None, {})],
        datetime(2020, 3, 28, 18, tzinfo=timezone.utc),
    )
    await record(
        database_url,
        [("budi", "a.early", None, None, {})],
        datetime(2020, 3, 28, 10, tzinfo=timezone.utc),
    )
    _, day = await app.asgi_client.get(
        "/console/audit?dari=2020-03-29&sampai=2020-03-29", headers=me.headers
    )
    shown = rows(day.text)
    assert len(shown) == 1 and "a.late" in shown[0]
    _, before = await app.asgi_client.get("/console/audit?sampai=2020-03-28", headers=me.headers)
    shown = rows(before.text)
    assert len(shown) == 1 and "a.early" in shown[0]


@pytest.mark.parametrize(
    "query",
    [
        "dari=kemarin",
        "sampai=2026-13-01",
        "dari=2026-11-29&sampai=2026-11-01",
        "sebelum=abc",
        "actor=" + "a" * 65,
        "record_id=%00",
    ],
)
async def test_bad_filters_are_a_400_with_the_reason(
    app: Sanic, database_url: str, query: str
) -> None:
    me = await admin(database_url)
    _, response = await app.asgi_client.get(f"/console/audit?{query}", headers=me.headers)
    assert response.status == 400
    assert 'class="alert"' in response.text


async def test_the_audit_log_is_for_admins_only(app: Sanic, database_url: str) -> None:
    operator = await signed_in(database_url, "sari", ["operator", "monev", "triage"])
    _, refused = await app.asgi_client.get("/console/audit", headers=operator.headers)
    assert refused.status == 403
    app.asgi_client.cookies.clear()
    _, stranger = await app.asgi_client.get("/console/audit", follow_redirects=False)
    assert stranger.status == 302
    assert stranger.headers["location"].startswith("/console/login?next=%2Fconsole%2Faudit")

"""Canned replies per department (issue 13): the staff_head keeps the list, staff
read it, triage and admin pick a department; another department's reply is
not found; every change is audited; the ticket page offers them to insert."""

from __future__ import annotations

import re
from typing import Any, List, Tuple

from sanic import Sanic
from sqlalchemy import select

from backend.tables import audit_log, canned_replies
from tests.backend.console.helpers import Browser, signed_in
from tests.backend.console.test_tickets import file_ticket, get, post, query

TEXT = "Lampu sudah kami ganti. Terima kasih atas laporan Bapak/Ibu."


async def stored(database_url: str) -> List[Tuple[str, str, str, str]]:
    rows = await query(database_url, select(canned_replies).order_by(canned_replies.c.id))
    return [(r.department_code, r.title, r.text, r.updated_by) for r in rows]


async def audited(database_url: str) -> List[Tuple[str, str, Any]]:
    rows = await query(
        database_url,
        select(audit_log.c.actor, audit_log.c.action, audit_log.c.detail)
        .where(audit_log.c.action.like("reply.%"))
        .order_by(audit_log.c.id),
    )
    return [(r.actor, r.action, r.detail) for r in rows]


async def reply_ids(database_url: str) -> List[int]:
    return [r.id for r in await query(database_url, select(canned_replies.c.id))]


async def head(database_url: str, department: str = "dishub") -> Browser:
    return await signed_in(database_url, f"kepala-{department}", ["staff_head"], department)


async def test_the_staff_head_adds_edits_and_deletes_her_departments_replies(
    app: Sanic, database_url: str
) -> None:
    kepala = await head(database_url)
    added = await post(app, kepala, "/console/replies", {"title": "Lampu diganti", "text": TEXT})
    assert added.status == 303
    assert added.headers["location"] == "/console/replies?dinas=dishub&selesai=tambah"
    assert await stored(database_url) == [("dishub", "Lampu diganti", TEXT, "kepala-dishub")]
    [reply_id] = await reply_ids(database_url)
    edited = await post(
        app, kepala, f"/console/replies/{reply_id}", {"title": "Lampu sudah diganti", "text": TEXT}
    )
    assert edited.status == 303
    assert [t for _, t, _, _ in await stored(database_url)] == ["Lampu sudah diganti"]
    page = await get(app, kepala, "/console/replies?selesai=ubah")
    assert "Balasan sudah diubah." in page.text and "Lampu sudah diganti" in page.text
    assert "Tambah balasan" in page.text
    deleted = await post(app, kepala, f"/console/replies/{reply_id}/delete", {})
    assert deleted.status == 303
    assert await stored(database_url) == []
    assert [(a, act) for a, act, _ in await audited(database_url)] == [
        ("kepala-dishub", "reply.add"),
        ("kepala-dishub", "reply.edit"),
        ("kepala-dishub", "reply.delete"),
    ]


async def test_a_reply_without_a_title_or_text_is_refused_with_the_form_kept(
    app: Sanic, database_url: str
) -> None:
    kepala = await head(database_url)
    response = await post(app, kepala, "/console/replies", {"title": "", "text": TEXT})
    assert response.status == 400
    assert "Mohon isi judul dan isi balasan." in response.text
    assert TEXT in response.text
    long = await post(app, kepala, "/console/replies", {"title": "x" * 121, "text": TEXT})
    assert long.status == 400 and "Judul paling banyak 120 huruf." in long.text
    assert await stored(database_url) == []


async def test_staff_read_their_departments_replies_without_the_forms(
    app: Sanic, database_url: str
) -> None:
    kepala = await head(database_url)
    await post(app, kepala, "/console/replies", {"title": "Lampu diganti", "text": TEXT})
    other = await head(database_url, "dlhkp")
    await post(app, other, "/console/replies", {"title": "Sampah diangkut", "text": "Sudah."})
    staff = await signed_in(database_url, "sari", ["staff"], "dishub")
    page = await get(app, staff, "/console/replies?dinas=dlhkp")  # the choice is not theirs
    assert page.status == 200
    assert "Lampu diganti" in page.text and "Sampah diangkut" not in page.text
    assert "Tambah balasan" not in page.text and "Ubah balasan ini" not in page.text
    refused = await post(app, staff, "/console/replies", {"title": "Coba", "text": TEXT})
    assert refused.status == 403
    assert len(await stored(database_url)) == 2


async def test_another_departments_reply_is_not_found(app: Sanic, database_url: str) -> None:
    kepala = await head(database_url)
    await post(app, kepala, "/console/replies", {"title": "Lampu diganti", "text": TEXT})
    [reply_id] = await reply_ids(database_url)
    other = await head(database_url, "dlhkp")
    edited = await post(
        app, other, f"/console/replies/{reply_id}", {"title": "Diubah", "text": "Diubah."}
    )
    assert edited.status == 404
    deleted = await post(app, other, f"/console/replies/{reply_id}/delete", {})
    assert deleted.status == 404
    adding_there = await post(
        app, other, "/console/replies", {"title": "Masuk", "text": "x", "dinas": "dishub"}
    )
    assert adding_there.status == 303  # added to their own department, not to dishub's
    assert [(d, t) for d, t, _, _ in await stored(database_url)] == [
        ("dishub", "Lampu diganti"),
        ("dlhkp", "Masuk"),
    ]
    missing = await post(app, kepala, "/console/replies/99999", {"title": "a", "text": "b"})
    assert missing.status == 404


async def test_triage_pick_a_department_to_read_and_an_admin_may_change_it(
    app: Sanic, database_url: str
) -> None:
    triage = await signed_in(database_url, "dina", ["triage"])
    picker = await get(app, triage, "/console/replies")
    assert picker.status == 200 and "Pilih dinas untuk melihat" in picker.text
    admin = await signed_in(database_url, "admin-kota", ["admin"])
    added = await post(
        app, admin, "/console/replies", {"title": "Sudah dicek", "text": TEXT, "dinas": "dishub"}
    )
    assert added.status == 303
    page = await get(app, triage, "/console/replies?dinas=dishub")
    assert "Sudah dicek" in page.text and "Tambah balasan" not in page.text
    assert (await get(app, triage, "/console/replies?dinas=tidak-ada")).status == 404
    refused = await post(
        app, triage, "/console/replies", {"title": "a", "text": "b", "dinas": "dishub"}
    )
    assert refused.status == 403


async def test_the_ticket_page_offers_the_departments_replies_to_insert(
    app: Sanic, database_url: str
) -> None:
    kepala = await head(database_url)
    await post(app, kepala, "/console/replies", {"title": "Lampu diganti", "text": TEXT})
    other = await head(database_url, "dlhkp")
    await post(app, other, "/console/replies", {"title": "Sampah diangkut", "text": "Sudah."})
    light = await file_ticket(database_url)
    staff = await signed_in(database_url, "sari", ["staff"], "dishub")
    page = await get(app, staff, f"/console/tickets/{light.service_request_id}")
    assert "Sisipkan balasan" in page.text
    options = re.findall(r'<option value="\d+" data-text="([^"]*)">([^<]*)</option>', page.text)
    assert options == [(TEXT, "Lampu diganti")]

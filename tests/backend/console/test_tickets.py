"""The department's queue in the console: tabs (new, in progress, overdue,
recently closed), filters, search, pages and the map; one ticket with its
place, photos and history, never the reporter's phone; the status form with
the workflow's rules; the live events a new ticket and a status change
publish; and department isolation on every route (404, never 403).
Who may open which route by role is tested in test_access.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

import pytest
from sanic import Sanic
from sqlalchemy import select

from backend import tickets, workflow
from backend.console import tickets as console_tickets
from backend.console.access import RULE
from backend.tables import audit_log, live_events, ticket_events
from backend.tables import tickets as ticket_table
from lapor.catalogue import load_catalogue
from lapor.db import create_engine
from lapor.paths import SERVICES_FILE
from lapor.timeutil import utcnow
from lapor.wilayah import default_wilayah
from tests.backend.console.helpers import Browser, signed_in
from tests.backend.console.test_access import console_routes
from tests.backend.helpers import SETONOGEDONG

CATALOGUE = load_catalogue(SERVICES_FILE)
PHONE = "+6281234567890"
SETONOGEDONG_CODE = "35.71.02.1009"


async def file_ticket(
    database_url: str,
    service: str = "street_light",
    description: str = "Lampu jalan mati sejak 3 hari",
    address: Optional[str] = "Jl. Dhoho depan toko emas",
    at: Optional[datetime] = None,
    kelurahan: Optional[str] = SETONOGEDONG_CODE,
    pin: Optional[tuple[float, float]] = SETONOGEDONG,
    photos: tuple[str, ...] = (),
    phone: Optional[str] = PHONE,
) -> tickets.Ticket:
    found = CATALOGUE.service(service)
    assert found is not None
    engine = create_engine(database_url)
    try:
        created = await tickets.create_ticket(
            engine,
            tickets.NewTicket(
                service=found,
                description=description,
                channel="whatsapp" if phone else "open311",
                address=address,
                lat=pin[0] if pin else None,
                long=pin[1] if pin else None,
                kelurahan_code=kelurahan,
                media_urls=photos,
                attributes={"pole_number": "PJU-17"} if service == "street_light" else {},
                phone=phone,
                account_id="whatsapp:p-abc" if phone else None,
            ),
            now=at,
        )
    finally:
        await engine.dispose()
    return created.ticket


async def move(database_url: str, number: str, status: str, note: Optional[str] = None) -> None:
    engine = create_engine(database_url)
    try:
        await tickets.change_status(engine, number, status, note=note, actor="uji", department=None)
    finally:
        await engine.dispose()


async def query(database_url: str, statement: Any) -> List[Any]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(statement)).all())
    finally:
        await engine.dispose()


async def get(app: Sanic, browser: Browser, path: str) -> Any:
    _, response = await app.asgi_client.get(path, headers=browser.headers, follow_redirects=False)
    return response


async def post(app: Sanic, browser: Browser, path: str, fields: Dict[str, str]) -> Any:
    body = urlencode({"csrf_token": browser.csrf, **fields})
    _, response = await app.asgi_client.post(
        path, content=body, headers=browser.form_headers(), follow_redirects=False
    )
    return response


def listed(html: str) -> List[str]:
    """The ticket numbers of the list's rows, in page order."""
    return re.findall(r'<tr[^>]*data-ticket="([^"]+)"', html)


def on_map(html: str) -> List[str]:
    return re.findall(r'<circle[^>]*data-ticket="([^"]+)"', html)


@pytest.fixture
async def dishub(database_url: str) -> Browser:
    return await signed_in(database_url, "sari", ["staff"], "dishub")


@pytest.fixture
async def dlhkp(database_url: str) -> Browser:
    return await signed_in(database_url, "joko", ["staff"], "dlhkp")


# -- the queue -------------------------------------------------------------------


async def test_staff_see_their_departments_open_tickets_newest_first(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    now = utcnow()
    older = await file_ticket(database_url, at=now - timedelta(hours=5))
    newer = await file_ticket(database_url, at=now - timedelta(hours=1))
    others = await file_ticket(database_url, "waste", "Sampah menumpuk di pasar")
    response = await get(app, dishub, "/console/tickets")
    assert response.status == 200
    assert listed(response.text) == [newer.service_request_id, older.service_request_id]
    assert others.service_request_id not in response.text
    assert "Dinas Perhubungan" in response.text
    assert "Kel. Setonogedong" in response.text and "Jl. Dhoho depan toko emas" in response.text
    assert "sisa 2 hari" in response.text  # the street light's 3-day deadline, 5 hours in
    assert "5 jam" in response.text  # its age


async def test_triage_see_every_departments_tickets(app: Sanic, database_url: str) -> None:
    light = await file_ticket(database_url)
    waste = await file_ticket(database_url, "waste", "Sampah menumpuk di pasar")
    triage = await signed_in(database_url, "dina", ["triage"])
    response = await get(app, triage, "/console/tickets")
    assert set(listed(response.text)) == {light.service_request_id, waste.service_request_id}


async def test_the_tabs_sort_new_in_progress_overdue_and_recently_closed(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    now = utcnow()
    new = await file_ticket(database_url)
    doing = await file_ticket(database_url)
    await move(database_url, doing.service_request_id, "diproses")
    late = await file_ticket(database_url, at=now - timedelta(days=5))  # the deadline was 3 days
    closed = await file_ticket(database_url)
    await move(database_url, closed.service_request_id, "selesai", "Lampu sudah diganti.")
    long_closed = await file_ticket(database_url, at=now - timedelta(days=40))
    engine = create_engine(database_url)
    try:
        await tickets.change_status(
            engine,
            long_closed.service_request_id,
            "selesai",
            note="Lampu diganti.",
            actor="uji",
            department=None,
            now=now - timedelta(days=30),
        )
    finally:
        await engine.dispose()

    async def tab(name: str) -> List[str]:
        return listed((await get(app, dishub, f"/console/tickets?tab={name}")).text)

    assert await tab("baru") == [new.service_request_id, late.service_request_id]
    assert await tab("diproses") == [doing.service_request_id]
    assert await tab("terlambat") == [late.service_request_id]
    assert await tab("selesai") == [closed.service_request_id]
    assert set(await tab("terbuka")) == {
        new.service_request_id,
        doing.service_request_id,
        late.service_request_id,
    }
    page = (await get(app, dishub, "/console/tickets")).text
    assert re.search(r'data-tab="terlambat"[^>]*>Terlambat <span class="count">1<', page)
    assert "terlambat 2 hari" in page  # 5 days old with a 3-day deadline


async def test_the_queue_filters_by_category_place_status_and_age(
    app: Sanic, database_url: str
) -> None:
    now = utcnow()
    light = await file_ticket(database_url, at=now - timedelta(days=4))
    tree = await file_ticket(
        database_url, "tree", "Pohon tumbang", kelurahan="35.71.01.1001", pin=None
    )
    triage = await signed_in(database_url, "dina", ["triage"])

    async def found(query: str) -> List[str]:
        response = await get(app, triage, f"/console/tickets?{query}")
        assert response.status == 200, response.text
        return listed(response.text)

    assert await found("kategori=tree") == [tree.service_request_id]
    assert await found("kecamatan=Mojoroto") == [tree.service_request_id]
    assert await found("kecamatan=Kota") == [light.service_request_id]
    assert await found(f"kelurahan={SETONOGEDONG_CODE}") == [light.service_request_id]
    assert await found("umur=3") == [light.service_request_id]
    assert await found("umur=5") == []
    await move(database_url, tree.service_request_id, "diverifikasi")
    assert await found("status=diverifikasi") == [tree.service_request_id]


async def test_bad_filters_are_named_and_answered_400_with_the_others_kept(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    response = await get(app, dishub, "/console/tickets?umur=banyak&kategori=nope&q=lampu")
    assert response.status == 400
    assert "Umur laporan ditulis dalam hari" in response.text
    assert "Kategori itu tidak ada" in response.text
    assert 'value="lampu"' in response.text  # the search is kept, and applied
    assert listed(response.text) == [light.service_request_id]


async def test_search_finds_a_number_or_words_in_the_description_or_address(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    dhoho = await file_ticket(database_url, description="Lampu mati total", address="Jl. Dhoho 12")
    gang = await file_ticket(database_url, description="PJU berkedip", address="Gang Melati 3")
    # % and _ are taken literally, not as wildcards.
    percent = await file_ticket(database_url, description="Lampu 100% padam", address=None)

    async def found(words: str) -> List[str]:
        response = await get(app, dishub, "/console/tickets?" + urlencode({"q": words}))
        return listed(response.text)

    assert await found(dhoho.service_request_id) == [dhoho.service_request_id]
    assert await found(gang.service_request_id[-6:]) == [gang.service_request_id]
    assert await found("melati") == [gang.service_request_id]  # the address, any case
    assert await found("LAMPU dhoho") == [dhoho.service_request_id]  # every word
    assert await found("100%") == [percent.service_request_id]
    assert await found("_") == []
    assert await found("tidak ada") == []


async def test_the_queue_pages_by_fifty(app: Sanic, database_url: str, dishub: Browser) -> None:
    now = utcnow()
    numbers = [
        (await file_ticket(database_url, at=now - timedelta(minutes=i))).service_request_id
        for i in range(52)
    ]
    first = await get(app, dishub, "/console/tickets")
    assert listed(first.text) == numbers[:50]
    assert 'rel="next"' in first.text
    second = await get(app, dishub, "/console/tickets?hal=2")
    assert listed(second.text) == numbers[50:]
    assert 'rel="next"' not in second.text and 'rel="prev"' in second.text


async def test_the_list_part_is_only_the_list_with_its_map(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    response = await get(app, dishub, "/console/tickets?part=list&q=lampu")
    assert response.status == 200
    assert listed(response.text) == [light.service_request_id]
    assert "<html" not in response.text and 'id="filters"' not in response.text
    assert "<svg" in response.text


async def test_the_map_shades_kelurahan_and_links_each_open_ticket(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    first = await file_ticket(database_url)
    second = await file_ticket(database_url)
    placeless = await file_ticket(database_url, kelurahan=None, pin=None, address=None)
    closed = await file_ticket(database_url)
    await move(database_url, closed.service_request_id, "selesai", "Sudah diganti.")
    await file_ticket(database_url, "waste", "Sampah")  # another department's
    response = await get(app, dishub, "/console/tickets")
    assert sorted(on_map(response.text)) == sorted(
        [first.service_request_id, second.service_request_id]
    )
    assert f'href="/console/tickets/{first.service_request_id}"' in response.text
    shaded = re.search(
        rf'<path[^>]*class="area shade-(\d)" data-kelurahan="{SETONOGEDONG_CODE}"'
        r' data-count="(\d+)"',
        response.text,
    )
    assert shaded and shaded.groups() == ("4", "2")
    assert len(re.findall(r'<path[^>]*class="area', response.text)) == len(
        default_wilayah().kelurahan
    )
    assert "1 tanpa lokasi" in response.text
    assert placeless.service_request_id in listed(response.text)
    # A filter narrows the map too.
    filtered = await get(app, dishub, f"/console/tickets?q={first.service_request_id}")
    assert on_map(filtered.text) == [first.service_request_id]


# -- one ticket --------------------------------------------------------------------


async def test_a_ticket_shows_its_place_photos_deadline_and_history_never_the_phone(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    photo = "https://lapor.example/media/" + "ab" * 16
    light = await file_ticket(database_url, photos=(photo,))
    await move(database_url, light.service_request_id, "diverifikasi", "Sudah dicek petugas.")
    response = await get(app, dishub, f"/console/tickets/{light.service_request_id}")
    assert response.status == 200
    text = response.text
    assert "Lampu jalan mati sejak 3 hari" in text
    assert "Jl. Dhoho depan toko emas" in text and "Kel. Setonogedong, Kec. Kota" in text
    lat, lon = SETONOGEDONG
    assert f"https://www.openstreetmap.org/?mlat={lat:.6f}&amp;mlon={lon:.6f}" in text
    assert f'src="/media/{"ab" * 16}"' in text  # this site's own path (CSP: 'self')
    assert "Nomor tiang lampu" in text and "PJU-17" in text
    assert "WhatsApp" in text and "sisa 2 hari" in text
    assert "Sudah dicek petugas." in text and "pelapor (whatsapp)" in text
    assert PHONE not in text and PHONE[3:] not in text and "81234567890" not in text
    assert "Alihkan ke dinas lain" in text  # the place a later step wires
    # Only the workflow's next statuses are offered.
    offered = re.findall(r'name="status" value="([^"]+)"', text)
    assert offered == ["diproses", "selesai", "ditolak", "duplikat"]
    views = await query(database_url, select(audit_log.c.action, audit_log.c.record_id))
    assert ("ticket.view", light.service_request_id) in [tuple(v) for v in views]


async def test_the_history_part_is_only_the_history(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    response = await get(app, dishub, f"/console/tickets/{light.service_request_id}?part=history")
    assert response.status == 200
    assert "Diterima, menunggu verifikasi" in response.text
    assert "<html" not in response.text and "status-form" not in response.text


async def test_an_unknown_ticket_is_not_found(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    response = await get(app, dishub, "/console/tickets/KDR-2026-999999")
    assert response.status == 404
    assert "tidak ditemukan" in response.text


# -- the status form -----------------------------------------------------------------


async def test_staff_move_a_ticket_with_a_note_and_the_citizen_is_told(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    number = light.service_request_id
    response = await post(app, dishub, f"/console/tickets/{number}/status", {"status": "diproses"})
    assert response.status == 303
    assert response.headers["location"] == f"/console/tickets/{number}?selesai=1"
    response = await post(
        app,
        dishub,
        f"/console/tickets/{number}/status",
        {"status": "selesai", "note": "Lampu sudah diganti hari ini."},
    )
    assert response.status == 303
    rows = await query(
        database_url,
        select(ticket_events.c.workflow_status, ticket_events.c.note, ticket_events.c.actor)
        .where(ticket_events.c.ticket_id == light.id)
        .order_by(ticket_events.c.id),
    )
    assert [(r.workflow_status, r.note) for r in rows] == [
        ("diterima", None),
        ("diproses", None),
        ("selesai", "Lampu sudah diganti hari ini."),
    ]
    assert rows[-1].actor == "Sari (sari)"
    page = await get(app, dishub, f"/console/tickets/{number}?selesai=1")
    assert "Status laporan sudah diubah" in page.text
    assert "Lampu sudah diganti hari ini." in page.text


async def test_closing_without_a_note_is_refused_with_the_form_kept(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    number = light.service_request_id
    response = await post(
        app, dishub, f"/console/tickets/{number}/status", {"status": "ditolak", "note": "  "}
    )
    assert response.status == 400
    assert "Mohon tulis catatan" in response.text
    assert re.search(r'value="ditolak" required checked', response.text)
    stored = await query(database_url, select(ticket_table.c.workflow_status))
    assert [r.workflow_status for r in stored] == ["diterima"]


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({}, "Mohon pilih status baru"),
        ({"status": "diterima", "note": "kembali"}, "tidak dapat dipilih"),
        ({"status": "terbang", "note": "x"}, "tidak dapat dipilih"),
        ({"status": "diproses", "note": "x" * 2001}, "paling banyak 2000"),
    ],
)
async def test_a_status_that_cannot_be_chosen_is_refused_with_the_note_kept(
    app: Sanic, database_url: str, dishub: Browser, fields: Dict[str, str], problem: str
) -> None:
    light = await file_ticket(database_url)
    response = await post(
        app, dishub, f"/console/tickets/{light.service_request_id}/status", fields
    )
    assert response.status == 400
    assert problem in response.text
    if fields.get("note"):
        assert fields["note"][:50] in response.text
    stored = await query(database_url, select(ticket_table.c.workflow_status))
    assert [r.workflow_status for r in stored] == ["diterima"]


# -- live -------------------------------------------------------------------------------


async def test_a_new_ticket_and_a_status_change_are_announced_to_its_department(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    await post(
        app, dishub, f"/console/tickets/{light.service_request_id}/status", {"status": "diproses"}
    )
    rows = await query(database_url, select(live_events).order_by(live_events.c.id))
    assert [(r.topic, r.department_code, r.data) for r in rows] == [
        (
            "ticket",
            "dishub",
            {
                "service_request_id": light.service_request_id,
                "change": "created",
                "department": "dishub",
            },
        ),
        (
            "ticket",
            "dishub",
            {
                "service_request_id": light.service_request_id,
                "change": "status",
                "department": "dishub",
            },
        ),
    ]
    assert set(rows[0].roles.split(",")) == {"staff", "staff_head", "triage", "admin"}


async def test_a_refused_status_change_announces_nothing(app: Sanic, database_url: str) -> None:
    light = await file_ticket(database_url)
    engine = create_engine(database_url)
    try:
        with pytest.raises(workflow.TransitionError):
            await tickets.change_status(
                engine, light.service_request_id, "selesai", note=None, actor="uji", department=None
            )
    finally:
        await engine.dispose()
    rows = await query(database_url, select(live_events.c.data))
    assert [r.data["change"] for r in rows] == ["created"]


# -- department isolation ------------------------------------------------------------------


async def test_another_departments_ticket_is_not_found_on_every_route(
    app: Sanic, database_url: str, dlhkp: Browser
) -> None:
    light = await file_ticket(database_url)  # dishub's
    number = light.service_request_id
    tried = []
    for method, path, handler in console_routes(app):
        if getattr(handler, RULE).public or "<service_request_id" not in path:
            continue
        url = re.sub(r"<service_request_id[^>]*>", number, path)
        for suffix in ("", "?part=history") if method == "GET" else ("",):
            if method == "GET":
                response = await get(app, dlhkp, url + suffix)
            else:
                response = await post(
                    app, dlhkp, url, {"status": "selesai", "note": "Bukan urusan kami."}
                )
            assert response.status == 404, f"{method} {path}{suffix}: {response.status}"
            assert number not in response.text and "Lampu" not in response.text
            tried.append((method, path))
    assert {m for m, _ in tried} == {"GET", "POST"}
    stored = await query(database_url, select(ticket_table.c.workflow_status))
    assert [r.workflow_status for r in stored] == ["diterima"]


async def test_another_departments_tickets_are_never_listed_or_mapped(
    app: Sanic, database_url: str, dlhkp: Browser
) -> None:
    light = await file_ticket(database_url)
    number = light.service_request_id
    for query_string in ("", "?tab=baru", f"?q={number}", "?part=list", "?kategori=street_light"):
        response = await get(app, dlhkp, "/console/tickets" + query_string)
        assert listed(response.text) == [], query_string
        assert f"/console/tickets/{number}" not in response.text
        assert on_map(response.text) == []
        assert 'data-count="1"' not in response.text


async def test_a_staff_head_works_only_her_departments_tickets(
    app: Sanic, database_url: str
) -> None:
    light = await file_ticket(database_url)
    head = await signed_in(database_url, "kepala", ["staff_head"], "dlhkp")
    assert (await get(app, head, f"/console/tickets/{light.service_request_id}")).status == 404
    own = await signed_in(database_url, "kepala-dishub", ["staff_head"], "dishub")
    assert (await get(app, own, f"/console/tickets/{light.service_request_id}")).status == 200


# -- wording ------------------------------------------------------------------------------------


def test_how_far_apart_two_reports_came_reads_as_staff_say_it() -> None:
    assert console_tickets.apart(timedelta(minutes=20)) == "kurang dari 1 jam"
    assert console_tickets.apart(timedelta(hours=5, minutes=40)) == "5 jam"
    assert console_tickets.apart(timedelta(days=2, hours=3)) == "2 hari"


def test_time_left_and_age_read_as_staff_say_them() -> None:
    now = utcnow()

    def item(expected: datetime, status: str = "diproses") -> Any:
        return type("Item", (), {"expected_at": expected, "is_open": status != "selesai"})()

    assert console_tickets.time_left(item(now + timedelta(days=2, hours=3)), now) == "sisa 2 hari"
    assert console_tickets.time_left(item(now + timedelta(hours=5)), now) == "sisa 5 jam"
    assert (
        console_tickets.time_left(item(now - timedelta(days=3, hours=1)), now) == "terlambat 3 hari"
    )
    assert console_tickets.time_left(item(now - timedelta(minutes=10)), now) == "terlambat 1 jam"
    assert console_tickets.time_left(item(now, "selesai"), now) == ""
    assert console_tickets.age(now - timedelta(minutes=3), now) == "3 mnt"
    assert console_tickets.age(now - timedelta(days=4, hours=2), now) == "4 hari"


# -- transfer and possible duplicates -----------------------------------------------


async def test_a_ticket_moved_to_another_department_leaves_the_queue_and_reaches_theirs(
    app: Sanic, database_url: str, dishub: Browser, dlhkp: Browser
) -> None:
    number = (await file_ticket(database_url)).service_request_id
    response = await post(
        app,
        dishub,
        f"/console/tickets/{number}/transfer",
        {"to": "dlhkp", "reason": "Lampu tertutup dahan pohon: perlu pemangkasan"},
    )
    assert response.status == 303
    assert response.headers["location"].startswith(f"/console/tickets?dialihkan={number}")
    queue = await get(app, dishub, response.headers["location"])
    assert "sudah dialihkan ke Dinas Lingkungan Hidup" in queue.text
    assert (await get(app, dishub, f"/console/tickets/{number}")).status == 404
    theirs = await get(app, dlhkp, f"/console/tickets/{number}")
    assert theirs.status == 200 and "perlu pemangkasan" in theirs.text  # the history says why


async def test_a_transfer_without_a_reason_is_refused_with_the_choice_kept(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    number = (await file_ticket(database_url)).service_request_id
    response = await post(app, dishub, f"/console/tickets/{number}/transfer", {"to": "dlhkp"})
    assert response.status == 400
    assert "Tulis alasan pengalihan" in response.text
    assert 'value="dlhkp" selected' in response.text
    stored = await query(database_url, select(ticket_table.c.agency_responsible))
    assert [r.agency_responsible for r in stored] == ["dishub"]


async def test_a_ticket_page_names_nearby_open_reports_of_the_same_problem(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    first = await file_ticket(database_url, description="lampu jalan mati depan toko emas")
    near = (SETONOGEDONG[0] + 0.0002, SETONOGEDONG[1])  # about 22 m north
    again = await file_ticket(database_url, description="lampune mati pak, peteng", pin=near)
    await file_ticket(database_url, service="road", description="jalan berlubang", pin=near)
    page = await get(app, dishub, f"/console/tickets/{again.service_request_id}")
    assert "Kemungkinan duplikat" in page.text
    similar = page.text.split('id="similar"')[1].split("</section>")[0]
    assert first.service_request_id in similar
    # One candidate (the road report is another category), with its merge button.
    assert similar.count("<li>") == 1 and "Gabungkan ke" in similar


async def test_a_duplicate_merged_into_the_older_ticket_follows_it(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    from backend.tables import notifications

    older = await file_ticket(database_url, description="lampu jalan mati depan toko emas")
    near = (SETONOGEDONG[0] + 0.0002, SETONOGEDONG[1])
    newer = await file_ticket(database_url, description="lampune mati pak", pin=near)
    path = f"/console/tickets/{newer.service_request_id}/merge"
    response = await post(app, dishub, path, {"into": older.service_request_id})
    assert response.status == 303
    page = await get(app, dishub, response.headers["location"])
    assert "ditandai duplikat" in page.text
    states = await query(
        database_url,
        select(ticket_table.c.service_request_id, ticket_table.c.workflow_status),
    )
    assert dict((r.service_request_id, r.workflow_status) for r in states) == {
        older.service_request_id: "diterima",
        newer.service_request_id: "duplikat",
    }
    # The newer ticket's reporter is told now, and again when the older one moves.
    await move(database_url, older.service_request_id, "diproses")
    told = await query(database_url, select(notifications.c.workflow_status, notifications.c.note))
    assert [t.workflow_status for t in told] == ["duplikat", "diproses", "diproses"]
    assert older.service_request_id in told[0].note and older.service_request_id in told[-1].note


@pytest.mark.parametrize("into", ["", "KDR-2026-999999"])
async def test_a_merge_into_nothing_is_refused_and_changes_nothing(
    app: Sanic, database_url: str, dishub: Browser, into: str
) -> None:
    number = (await file_ticket(database_url)).service_request_id
    response = await post(app, dishub, f"/console/tickets/{number}/merge", {"into": into})
    assert response.status == 400
    stored = await query(database_url, select(ticket_table.c.workflow_status))
    assert [r.workflow_status for r in stored] == ["diterima"]


async def test_a_merge_into_another_departments_ticket_is_refused(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    mine = (await file_ticket(database_url)).service_request_id
    theirs = (await file_ticket(database_url, service="road")).service_request_id  # dpupr
    response = await post(app, dishub, f"/console/tickets/{mine}/merge", {"into": theirs})
    assert response.status == 400 and theirs not in response.text


# -- asking the reporter, the photo of the finished work, the reporter's verdict -----------


async def test_staff_ask_the_reporter_and_the_question_waits_in_the_thread(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    from backend.tables import notifications

    light = await file_ticket(database_url)
    number = light.service_request_id
    question = "Tiang nomor berapa persisnya, Bu?"
    response = await post(app, dishub, f"/console/tickets/{number}/ask", {"question": question})
    assert response.status == 303
    page = await get(app, dishub, response.headers["location"])
    assert "Pertanyaan tersimpan dan sedang dikirim" in page.text
    assert "Menunggu jawaban pelapor atas pertanyaan" in page.text and question in page.text
    queued = await query(database_url, select(notifications.c.purpose, notifications.c.note))
    assert [(q.purpose, q.note) for q in queued] == [("question", question)]
    audited = await query(database_url, select(audit_log.c.action, audit_log.c.record_id))
    assert ("ticket.ask", number) in [(a.action, a.record_id) for a in audited]
    # The answer (backend/bot_api.py) ends the wait and shows in the thread.
    _, answered = await app.asgi_client.post(
        f"/bot/v1/tickets/{number}/answers",
        json={"text": "Tiang PJU-17 depan toko emas"},
        headers={"Authorization": "Bearer test-api-key"},
    )
    assert answered.status == 201
    history = await get(app, dishub, f"/console/tickets/{number}?part=history")
    assert "Jawaban pelapor" in history.text and "Tiang PJU-17 depan toko emas" in history.text
    assert "Menunggu jawaban pelapor" not in history.text


@pytest.mark.parametrize("question", ["", "ya?", "x" * 1001])
async def test_a_question_too_short_or_too_long_is_refused_and_kept(
    app: Sanic, database_url: str, dishub: Browser, question: str
) -> None:
    light = await file_ticket(database_url)
    path = f"/console/tickets/{light.service_request_id}/ask"
    response = await post(app, dishub, path, {"question": question})
    assert response.status == 400
    assert "Mohon tulis pertanyaan" in response.text
    kinds = await query(database_url, select(ticket_events.c.kind))
    assert [k.kind for k in kinds] == ["status"]


async def test_a_reporter_without_a_chat_cannot_be_asked(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    app_report = await file_ticket(database_url, phone=None)
    page = await get(app, dishub, f"/console/tickets/{app_report.service_request_id}")
    assert (
        "Pelapor tidak dapat ditanya lewat chat" in page.text and 'id="question"' not in page.text
    )
    path = f"/console/tickets/{app_report.service_request_id}/ask"
    response = await post(app, dishub, path, {"question": "Di sebelah mana persisnya?"})
    assert response.status == 400 and "tidak dapat ditanya" in response.text
    kinds = await query(database_url, select(ticket_events.c.kind))
    assert [k.kind for k in kinds] == ["status"]


def multipart(browser: Browser, fields: Dict[str, str], photo: Optional[bytes]) -> Any:
    boundary = "----uji-batas"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in {"csrf_token": browser.csrf, **fields}.items()
    ]
    if photo is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="hasil.png"'
            "\r\nContent-Type: image/png\r\n\r\n".encode()
            + photo
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    headers = {**browser.headers, "content-type": f"multipart/form-data; boundary={boundary}"}
    return body, headers


async def test_closing_with_a_photo_of_the_work_asks_the_reporter_with_it(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    from backend.tables import notifications
    from tests.backend.helpers import png_bytes

    light = await file_ticket(database_url)
    number = light.service_request_id
    fields = {"status": "selesai", "note": "Lampu sudah diganti."}
    body, headers = multipart(dishub, fields, png_bytes((64, 48)))
    _, response = await app.asgi_client.post(
        f"/console/tickets/{number}/status", content=body, headers=headers, follow_redirects=False
    )
    assert response.status == 303, response.text
    (done,) = await query(
        database_url, select(ticket_events).where(ticket_events.c.workflow_status == "selesai")
    )
    assert done.media_url and "/media/" in done.media_url
    (told,) = await query(database_url, select(notifications))
    assert (told.purpose, told.media_url) == ("closure_check", done.media_url)
    page = await get(app, dishub, f"/console/tickets/{number}")
    assert "Foto hasil pekerjaan" in page.text
    assert "Menunggu jawaban pelapor: apakah masalahnya sudah beres?" in page.text


async def test_a_photo_that_is_not_an_image_is_refused_and_nothing_moves(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    fields = {"status": "selesai", "note": "Lampu sudah diganti."}
    body, headers = multipart(dishub, fields, b"bukan gambar")
    _, response = await app.asgi_client.post(
        f"/console/tickets/{light.service_request_id}/status", content=body, headers=headers
    )
    assert response.status == 400 and "Foto hasil pekerjaan tidak dapat dibaca" in response.text
    assert "Lampu sudah diganti." in response.text  # the note is kept
    stored = await query(database_url, select(ticket_table.c.workflow_status))
    assert [r.workflow_status for r in stored] == ["diterima"]


async def test_the_queue_counts_what_reporters_said_of_the_fixes(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    from backend import closure

    fixed, again = await file_ticket(database_url), await file_ticket(database_url)
    for ticket in (fixed, again):
        await move(database_url, ticket.service_request_id, "selesai", "Sudah diganti")
    engine = create_engine(database_url)
    try:
        await closure.record_verdict(engine, fixed.service_request_id, fixed=True, rating=4)
        await closure.record_verdict(
            engine, again.service_request_id, fixed=False, words="masih mati"
        )
    finally:
        await engine.dispose()
    page = await get(app, dishub, "/console/tickets")
    line = re.search(r'<p class="verdicts[^>]*>(.*?)</p>', page.text, re.S)
    assert line is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", line.group(1)).split())
    assert "1 sudah beres" in text and "1 dibuka kembali" in text
    assert "nilai rata-rata 4,0 dari 5 (1 penilaian)" in text
    reopened = await get(app, dishub, f"/console/tickets/{again.service_request_id}?part=history")
    assert "Dibuka kembali" in reopened.text and "masih mati" in reopened.text

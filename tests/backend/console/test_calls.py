"""The 112 call page (backend/console/calls.py) and the call panel of an
incident: the queue with its flags and each caller's history, taking a call
to the desk phone (Twilio asked at once), calling a dropped caller back,
sorting a call, clearing a prank flag. Calls are driven through the voice
webhooks as Twilio would (tests/voice_line.py) against the fake Twilio."""

from __future__ import annotations

import html
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any, AsyncIterator, List, Sequence
from urllib.parse import urlencode

import pytest
from sanic import Sanic
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.console import calls
from backend.emergency import shifts
from backend.tables import audit_log, incident_events, voice_callers, voice_calls
from lapor.contact import ContactCipher
from lapor.db import create_engine
from lapor.settings import DEVELOPMENT_CONTACT_KEY
from lapor.timeutil import utcnow
from tests.backend.console.helpers import FORM, Browser, signed_in
from tests.backend.console.test_conversations import add_ticket
from tests.backend.console.test_incidents import file_incident
from tests.backend.emergency.helpers import incident, timeline
from tests.backend.voice.helpers import CALLER, call_row
from tests.fake_twilio import FakeTwilio
from tests.voice_line import SILENCE, Caller, Outcome, presses, sanic_post, says

CIPHER = ContactCipher(DEVELOPMENT_CONTACT_KEY.encode())
DESK = "+62354111222"
OTHER_DESK = "+62354999888"
OTHER_CALLER = "+6281234500999"
WORDS = "tolong ada kebakaran di pasar setonobetek"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def ring(app: Sanic, number: str = CALLER, *script: Any) -> Outcome:
    outcome = await Caller(number, list(script) or [says(WORDS)]).ring(sanic_post(app))
    assert outcome.queued
    return outcome


async def earlier_calls(engine: AsyncEngine, number: str, classes: Sequence[str]) -> None:
    """Calls this number made yesterday, already sorted."""
    at = utcnow() - timedelta(days=1)
    async with engine.begin() as conn:
        for kind in classes:
            await conn.execute(
                insert(voice_calls).values(
                    {
                        "call_sid": f"CA{uuid.uuid4().hex}",
                        "caller": CIPHER.pseudonym(number),
                        "state": "ended",
                        "class": kind,
                        "started_at": at,
                        "ended_at": at,
                    }
                )
            )


async def post(app: Sanic, browser: Browser, path: str, **fields: Any) -> Any:
    body = urlencode({"csrf_token": browser.csrf, **fields}, doseq=True)
    _, response = await app.asgi_client.post(path, content=body, headers=browser.form_headers())
    return response


async def page_of(app: Sanic, browser: Browser, path: str) -> Any:
    _, response = await app.asgi_client.get(path, headers=browser.headers)
    return response


def text_of(response: Any) -> str:
    """The page's words, tags and whitespace folded (what a reader sees)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


async def events(engine: AsyncEngine, incident_id: int, kind: str) -> List[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(incident_events.c.data).where(
                incident_events.c.incident_id == incident_id, incident_events.c.kind == kind
            )
        )
        return [r.data for r in rows]


# -- who may -------------------------------------------------------------------


ROUTES = [
    ("GET", "/console/panggilan"),
    ("GET", "/console/panggilan?part=list"),
    ("POST", "/console/panggilan/1/ambil"),
    ("POST", "/console/panggilan/1/telepon-balik"),
    ("POST", "/console/panggilan/1/jenis"),
    ("POST", "/console/panggilan/penelepon/hapus-iseng"),
]


async def test_every_call_route_refuses_strangers_and_other_roles(
    voice_app: Sanic, database_url: str
) -> None:
    for method, path in ROUTES:
        response = (
            await voice_app.asgi_client.request(
                method, path, content="csrf_token=x", headers=FORM, follow_redirects=False
            )
        )[1]
        if method == "GET":
            assert response.status == 302, path
            assert response.headers["location"].startswith("/console/login?next=")
        else:
            assert response.status == 401, path
    for role in ("triage", "admin", "staff_head"):
        browser = await signed_in(database_url, f"orang-{role}", [role], "dishub")
        for method, path in ROUTES:
            body = urlencode({"csrf_token": browser.csrf, "call": "1"})
            _, response = await voice_app.asgi_client.request(
                method, path, content=body, headers=browser.form_headers()
            )
            assert response.status == 403, f"{role} {method} {path}"
            assert "bukan untuk peran" in response.text
    # The flag is a supervisor's to clear: the route refuses a plain operator.
    ani = await signed_in(database_url, "ani", ["operator"])
    response = await post(voice_app, ani, "/console/panggilan/penelepon/hapus-iseng", call="1")
    assert response.status == 403


async def test_the_menu_leads_operators_to_the_call_page(
    voice_app: Sanic, database_url: str
) -> None:
    ani = await signed_in(database_url, "ani", ["operator"])
    response = await page_of(voice_app, ani, "/console/")
    assert 'href="/console/panggilan"' in response.text and "Panggilan 112" in response.text
    staff = await signed_in(database_url, "dina", ["staff"], "dishub")
    assert "/console/panggilan" not in (await page_of(voice_app, staff, "/console/")).text


# -- the queue -------------------------------------------------------------------


async def test_the_queue_shows_each_caller_with_flags_what_was_heard_and_history(
    voice_app: Sanic, database_url: str, engine: AsyncEngine
) -> None:
    # The silent caller pranked three times yesterday, had a ghost call, chatted an
    # emergency on WhatsApp and filed a complaint: their pseudonym is the same.
    await earlier_calls(engine, CALLER, ["prank", "prank", "prank", "ghost"])
    await file_incident(database_url, sender=CIPHER.pseudonym(CALLER))
    await add_ticket(database_url, "KDR-2026-000777", CIPHER.pseudonym(CALLER))
    silent = await ring(voice_app, CALLER, SILENCE, presses("55"))
    speaking = await ring(voice_app, OTHER_CALLER)
    ani = await signed_in(database_url, "ani", ["operator"])

    response = await page_of(voice_app, ani, "/console/panggilan")
    assert response.status == 200
    seen = text_of(response)
    assert "Menunggu di antrean (2)" in seen
    assert "Tidak bisa bicara (menekan 55)" in seen
    assert "Sering iseng — antrean terakhir" in seen
    assert "4 panggilan sebelumnya: 3 iseng, 1 kosong; 1 laporan WhatsApp; 1 pengaduan" in seen
    assert "Penelepon baru" in seen and WORDS in seen
    # The main queue first, though its caller came later; the prank queue last.
    first = await call_row(database_url, speaking.sid)
    last = await call_row(database_url, silent.sid)
    assert (first.queue, last.queue) == ("main", "prank")
    order = re.findall(r'<li class="card call[^"]*" data-call-id="(\d+)"', response.text)
    assert order == [str(first.id), str(last.id)]
    assert response.text.count("Ambil panggilan</button>") == 2
    # The live part alone (what the page script refetches), without the layout.
    part = await page_of(voice_app, ani, "/console/panggilan?part=list")
    assert part.status == 200 and "<html" not in part.text
    assert f'data-call-id="{first.id}"' in part.text and "Sering iseng" in part.text


async def test_the_page_listens_for_new_calls_and_ticks_the_waiting_time(
    voice_app: Sanic, database_url: str
) -> None:
    await ring(voice_app)
    ani = await signed_in(database_url, "ani", ["operator"])
    response = await page_of(voice_app, ani, "/console/panggilan")
    assert 'id="call-list" data-live-topics="incident"' in response.text
    assert '<script src="/console/static/calls.js" defer>' in response.text
    assert re.search(r'class="elapsed" data-elapsed-from="[^"]+">00:0\d<', response.text)
    script = await page_of(voice_app, ani, "/console/static/calls.js")
    assert script.status == 200 and "/console/panggilan?part=list" in script.text


# -- taking a call ---------------------------------------------------------------


async def test_taking_a_call_without_a_desk_phone_says_so_and_changes_nothing(
    voice_app: Sanic, database_url: str, engine: AsyncEngine, fake: FakeTwilio
) -> None:
    outcome = await ring(voice_app)
    call = await call_row(database_url, outcome.sid)
    ani = await signed_in(database_url, "ani", ["operator"])
    await shifts.start(engine, ani.person.id, None)  # on duty, but no desk phone
    response = await post(voice_app, ani, f"/console/panggilan/{call.id}/ambil")
    assert response.status == 422
    assert "nomor telepon meja" in text_of(response)
    assert 'role="alert"' in response.text
    assert (await call_row(database_url, outcome.sid)).state == "queued"
    assert (await incident(engine, call.incident_id)).state == "open"
    assert fake.call_updates() == []


async def test_taking_a_call_rings_the_desk_phone_at_once_and_opens_the_incident(
    voice_app: Sanic, database_url: str, engine: AsyncEngine, fake: FakeTwilio
) -> None:
    outcome = await ring(voice_app)
    call = await call_row(database_url, outcome.sid)
    ani = await signed_in(database_url, "ani", ["operator"])
    await shifts.start(engine, ani.person.id, DESK)
    response = await post(voice_app, ani, f"/console/panggilan/{call.id}/ambil")
    assert response.status == 303
    assert response.headers["location"] == f"/console/incidents/{call.incident_id}?selesai=diambil"
    row = await incident(engine, call.incident_id)
    assert (row.state, row.owner_id) == ("accepted", ani.person.id)
    assert (await call_row(database_url, outcome.sid)).state == "connecting"
    # Sent from the request itself: Twilio already has the redirect to the desk phone.
    (update,) = fake.call_updates()
    assert update["CallSid"] == outcome.sid
    dial = ET.fromstring(update["Twiml"]).find("Dial")
    assert dial is not None and dial.findtext("Number") == DESK
    # The incident page the operator lands on shows the call and the sorting form.
    landed = await page_of(voice_app, ani, response.headers["location"])
    seen = text_of(landed)
    assert "Panggilan sudah Bapak/Ibu ambil" in seen
    assert "Panggilan telepon" in seen and WORDS in seen
    assert f'action="/console/panggilan/{call.id}/jenis"' in landed.text
    assert "Penelepon baru" in seen
    assert "Penelepon disambungkan ke telepon meja operator" in seen  # the send, in words


async def test_of_two_operators_racing_for_a_call_the_second_is_told_it_is_taken(
    voice_app: Sanic, database_url: str, engine: AsyncEngine, fake: FakeTwilio
) -> None:
    outcome = await ring(voice_app)
    call = await call_row(database_url, outcome.sid)
    ani = await signed_in(database_url, "ani", ["operator"])
    budi = await signed_in(database_url, "budi", ["operator"])
    await shifts.start(engine, ani.person.id, DESK)
    await shifts.start(engine, budi.person.id, OTHER_DESK)
    assert (await post(voice_app, ani, f"/console/panggilan/{call.id}/ambil")).status == 303
    late = await post(voice_app, budi, f"/console/panggilan/{call.id}/ambil")
    assert late.status == 409
    assert "sudah diambil operator lain" in text_of(late)
    assert (await incident(engine, call.incident_id)).owner_id == ani.person.id
    assert [u["Twiml"].count(DESK) for u in fake.call_updates()] == [1]


async def test_an_unknown_call_is_not_found(voice_app: Sanic, database_url: str) -> None:
    ani = await signed_in(database_url, "ani", ["operator"])
    for action in ("ambil", "telepon-balik", "jenis"):
        response = await post(voice_app, ani, f"/console/panggilan/999/{action}", kind="prank")
        assert response.status == 404, action
        assert "Panggilan ini tidak ditemukan" in response.text


# -- dropped calls -----------------------------------------------------------------


async def test_a_dropped_call_is_listed_and_called_back_in_one_click(
    voice_app: Sanic, database_url: str, engine: AsyncEngine, fake: FakeTwilio
) -> None:
    caller = Caller(CALLER, [says(WORDS)])
    assert (await caller.ring(sanic_post(voice_app))).queued
    await caller.status(sanic_post(voice_app), "completed")  # hung up in the queue
    call = await call_row(database_url, caller.sid)
    assert call.dropped
    ani = await signed_in(database_url, "ani", ["operator"])
    listed = await page_of(voice_app, ani, "/console/panggilan")
    seen = text_of(listed)
    assert "Menunggu di antrean (0)" in seen and "Panggilan terputus (1)" in seen
    assert f'action="/console/panggilan/{call.id}/telepon-balik"' in listed.text

    # No desk phone: told so, and the incident is not taken either.
    refused = await post(voice_app, ani, f"/console/panggilan/{call.id}/telepon-balik")
    assert refused.status == 422 and "nomor telepon meja" in text_of(refused)
    assert (await incident(engine, call.incident_id)).state == "open"

    await shifts.start(engine, ani.person.id, DESK)
    response = await post(voice_app, ani, f"/console/panggilan/{call.id}/telepon-balik")
    assert response.status == 303
    assert response.headers["location"] == f"/console/incidents/{call.incident_id}?selesai=telepon"
    row = await incident(engine, call.incident_id)
    assert (row.state, row.owner_id) == ("accepted", ani.person.id)
    assert "callback" in await timeline(engine, call.incident_id)
    (placed,) = fake.voice_calls()  # the desk first, then the caller's number
    assert placed["To"] == DESK


# -- sorting -----------------------------------------------------------------------


async def test_sorting_a_call_as_a_prank_resolves_it_and_queues_the_warning(
    voice_app: Sanic, database_url: str, engine: AsyncEngine
) -> None:
    outcome = await ring(voice_app)
    call = await call_row(database_url, outcome.sid)
    ani = await signed_in(database_url, "ani", ["operator"])
    await shifts.start(engine, ani.person.id, DESK)
    await post(voice_app, ani, f"/console/panggilan/{call.id}/ambil")
    response = await post(
        voice_app, ani, f"/console/panggilan/{call.id}/jenis", kind="prank", call_note="tertawa"
    )
    assert response.status == 303
    assert response.headers["location"] == f"/console/incidents/{call.incident_id}?selesai=jenis"
    row = await incident(engine, call.incident_id)
    assert (row.state, row.resolution) == ("resolved", "tertawa")
    sorted_call = await call_row(database_url, outcome.sid)
    assert (sorted_call.class_, sorted_call.message_kind, sorted_call.message_state) == (
        "prank",
        "prank",
        "pending",
    )
    landed = text_of(await page_of(voice_app, ani, response.headers["location"]))
    assert "Jenis panggilan sudah dicatat" in landed
    # The last day's calls name the class and the WhatsApp message in Indonesian.
    recent = text_of(await page_of(voice_app, ani, "/console/panggilan"))
    assert "Panggilan terakhir (24 jam) (1)" in recent
    # (each test request starts the app's workers: the warning may have been tried already)
    state = (await call_row(database_url, outcome.sid)).message_state
    assert "Panggilan iseng" in recent
    assert f"Peringatan iseng: {calls.MESSAGE_STATES[state].lower()}" in recent


async def test_sorting_a_call_as_a_real_emergency_names_it_and_records_the_agencies(
    voice_app: Sanic, database_url: str, engine: AsyncEngine
) -> None:
    outcome = await ring(voice_app)
    call = await call_row(database_url, outcome.sid)
    ani = await signed_in(database_url, "ani", ["operator"])
    await shifts.start(engine, ani.person.id, DESK)
    await post(voice_app, ani, f"/console/panggilan/{call.id}/ambil")
    page = await page_of(voice_app, ani, f"/console/incidents/{call.incident_id}")
    assert '<option value="emergency_fire">Kebakaran</option>' in page.text
    assert 'value="emergency_call"' not in page.text  # "a call" names no emergency
    response = await post(
        voice_app,
        ani,
        f"/console/panggilan/{call.id}/jenis",
        kind="valid",
        emergency="emergency_fire",
        agency=["damkar", "psc119"],
    )
    assert response.status == 303
    row = await incident(engine, call.incident_id)
    assert (row.kind, row.state) == ("emergency_fire", "accepted")
    assert (await call_row(database_url, outcome.sid)).class_ == "valid"
    assert [d["agency"] for d in await events(engine, call.incident_id, "dispatched")] == [
        "damkar",
        "psc119",
    ]
    assert (await events(engine, call.incident_id, "call_sorted"))[0]["emergency"] == (
        "emergency_fire"
    )


async def test_bad_sorting_input_is_refused_with_a_message_and_changes_nothing(
    voice_app: Sanic, database_url: str, engine: AsyncEngine
) -> None:
    outcome = await ring(voice_app)
    call = await call_row(database_url, outcome.sid)
    ani = await signed_in(database_url, "ani", ["operator"])
    path = f"/console/panggilan/{call.id}/jenis"
    tries = [
        ({}, "Pilih jenis panggilan"),
        ({"kind": "spam"}, "Pilih jenis panggilan"),
        ({"kind": "valid"}, "Pilih jenis keadaan darurat"),
        ({"kind": "valid", "emergency": "emergency_call"}, "Pilih jenis keadaan darurat"),
        (
            {"kind": "valid", "emergency": "emergency_fire", "agency": "pemadam-swasta"},
            "tidak ada di daftar",
        ),
        ({"kind": "prank", "call_note": "x" * 501}, "terlalu panjang"),
    ]
    for fields, message in tries:
        response = await post(voice_app, ani, path, **fields)
        assert response.status == 422, fields
        assert message in text_of(response), fields
    row = await incident(engine, call.incident_id)
    assert (row.state, row.kind) == ("open", "emergency_call")
    assert (await call_row(database_url, outcome.sid)).class_ is None
    assert "call_sorted" not in await timeline(engine, call.incident_id)


# -- the prank flag ----------------------------------------------------------------


async def test_a_supervisor_clears_a_prank_flag_and_an_operator_cannot(
    voice_app: Sanic, database_url: str, engine: AsyncEngine
) -> None:
    await earlier_calls(engine, CALLER, ["prank", "prank", "prank"])
    outcome = await ring(voice_app)
    call = await call_row(database_url, outcome.sid)
    assert call.queue == "prank"
    ani = await signed_in(database_url, "ani", ["operator"])
    kepala = await signed_in(database_url, "kepala", ["operator_supervisor"])
    path = f"/console/incidents/{call.incident_id}"
    assert "Hapus tanda iseng" not in (await page_of(voice_app, ani, path)).text
    assert "Hapus tanda iseng" in (await page_of(voice_app, kepala, path)).text

    refused = await post(voice_app, ani, "/console/panggilan/penelepon/hapus-iseng", call=call.id)
    assert refused.status == 403
    async with engine.connect() as conn:
        assert (await conn.execute(select(voice_callers))).all() == []

    response = await post(
        voice_app, kepala, "/console/panggilan/penelepon/hapus-iseng", call=call.id
    )
    assert response.status == 303
    assert response.headers["location"] == f"{path}?selesai=iseng"
    async with engine.connect() as conn:
        cleared = (await conn.execute(select(voice_callers))).one()
        audited = (
            await conn.execute(select(audit_log).where(audit_log.c.action == "voice.prank_cleared"))
        ).all()
    assert (cleared.caller, cleared.cleared_by) == (CIPHER.pseudonym(CALLER), "kepala")
    assert len(audited) == 1
    after = await page_of(voice_app, kepala, f"{path}?selesai=iseng")
    assert "Tanda iseng nomor ini sudah dihapus" in after.text
    assert "Hapus tanda iseng</button>" not in after.text

"""The 112 operators' pages: the board and its order, shifts, one incident with
its place, timeline and the sender's history, and every change an operator
makes (accept, reply, dispatch, note, hand over, call back, resolve), with
its timeline entry and what it queues for the citizen. Who may open which
route is tested for every route in test_access.py."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

from sanic import Sanic
from sqlalchemy import insert, select, update

from backend.emergency import incidents, shifts
from backend.emergency.incidents import Place, Report
from backend.tables import (
    audit_log,
    conversation_events,
    conversations,
    incident_events,
    incident_sends,
)
from backend.tables import incidents as incident_table
from lapor.db import create_engine
from lapor.timeutil import utcnow
from tests.backend.console.helpers import Browser, signed_in
from tests.backend.console.test_conversations import add_ticket

SENDER = "whatsapp:p-3f2a91c0d4e5b6a7980112233445566"
PLACE = Place(
    text="Pasar Setonobetek", kelurahan="Setonobetek", latitude=-7.8167, longitude=112.0112
)


async def file_incident(
    database_url: str,
    kind: str = "emergency_fire",
    received_at: Optional[datetime] = None,
    sender: str = SENDER,
    channel: str = "whatsapp",
    contact: Optional[str] = None,
    place: Place = PLACE,
    words: str = "Tolong ada kebakaran di pasar",
) -> int:
    engine = create_engine(database_url)
    try:
        filed = await incidents.file(
            engine,
            Report(
                key=f"test-{uuid.uuid4().hex}",
                kind=kind,
                channel=channel,
                conversation_id=sender,
                text=words,
                received_at=received_at or utcnow(),
                contact=contact,
                place=place,
                transcript=[{"who": "user", "text": words, "at": ""}],
            ),
        )
    finally:
        await engine.dispose()
    return filed.id


async def query(database_url: str, statement: Any) -> List[Any]:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(statement)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def timeline_kinds(database_url: str, incident_id: int) -> List[str]:
    rows = await query(
        database_url,
        select(incident_events.c.kind)
        .where(incident_events.c.incident_id == incident_id)
        .order_by(incident_events.c.at, incident_events.c.id),
    )
    return [r.kind for r in rows]


async def queued(database_url: str, incident_id: int) -> List[Any]:
    return await query(
        database_url,
        select(incident_sends.c.kind, incident_sends.c.payload)
        .where(incident_sends.c.incident_id == incident_id)
        .order_by(incident_sends.c.id),
    )


async def state_of(database_url: str, incident_id: int) -> Any:
    rows = await query(
        database_url, select(incident_table).where(incident_table.c.id == incident_id)
    )
    return rows[0]


async def post(
    app: Sanic,
    browser: Browser,
    path: str,
    fields: Optional[Dict[str, Any]] = None,
    accept_json: bool = False,
) -> Any:
    body = urlencode({"csrf_token": browser.csrf, **(fields or {})}, doseq=True)
    headers = browser.form_headers()
    if accept_json:
        headers["accept"] = "application/json"
    _, response = await app.asgi_client.post(
        path, content=body, headers=headers, follow_redirects=False
    )
    return response


async def operator(database_url: str, name: str = "wulan", supervisor: bool = False) -> Browser:
    return await signed_in(
        database_url, name, ["operator_supervisor" if supervisor else "operator"]
    )


def row_ids(html: str, section: str) -> List[int]:
    """The incident ids of a board section's rows, in page order."""
    part = html.split(section, 1)[1]
    part = part.split("</table>", 1)[0]
    return [int(x) for x in re.findall(r'<tr[^>]*data-incident-id="(\d+)"', part)]


# -- the board ------------------------------------------------------------------


async def test_the_board_lists_open_escalated_first_then_oldest_then_accepted_and_resolved(
    app: Sanic, database_url: str
) -> None:
    now = utcnow()
    old_open = await file_incident(database_url, received_at=now - timedelta(minutes=9))
    new_open = await file_incident(database_url, received_at=now - timedelta(minutes=1))
    escalated = await file_incident(database_url, received_at=now - timedelta(minutes=2))
    accepted_late = await file_incident(database_url, received_at=now - timedelta(minutes=3))
    accepted_early = await file_incident(database_url, received_at=now - timedelta(minutes=20))
    resolved = await file_incident(database_url, received_at=now - timedelta(minutes=30))
    await query(
        database_url,
        update(incident_table).where(incident_table.c.id == escalated).values(escalated_at=now),
    )
    wulan = await operator(database_url)
    for incident_id in (accepted_late, accepted_early, resolved):
        assert (await post(app, wulan, f"/console/incidents/{incident_id}/accept")).status == 303
    await post(app, wulan, f"/console/incidents/{resolved}/resolve", {"note": "Api padam."})

    _, response = await app.asgi_client.get("/console/incidents", headers=wulan.headers)
    assert response.status == 200
    assert row_ids(response.text, 'id="open-title"') == [
        escalated,
        old_open,
        new_open,
        accepted_early,
        accepted_late,
    ]
    assert row_ids(response.text, 'id="done-title"') == [resolved]
    assert 'data-escalated="1"' in response.text
    assert "Kebakaran" in response.text and "Pasar Setonobetek" in response.text
    assert "Wulan" in response.text  # the owner of the accepted ones


async def test_the_board_list_part_is_only_the_list(app: Sanic, database_url: str) -> None:
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    _, response = await app.asgi_client.get("/console/incidents?part=list", headers=wulan.headers)
    assert response.status == 200
    assert f'data-incident-id="{incident_id}"' in response.text
    assert "<html" not in response.text and "Tugas jaga" not in response.text


async def test_the_board_shows_the_senders_history_in_short(app: Sanic, database_url: str) -> None:
    earlier = utcnow() - timedelta(days=2)
    await file_incident(database_url, received_at=earlier)
    await add_ticket(database_url, "KDR-2026-000123", SENDER)
    await add_pranks(database_url, SENDER, 2)
    await file_incident(database_url)
    wulan = await operator(database_url)
    _, response = await app.asgi_client.get("/console/incidents", headers=wulan.headers)
    assert "1 darurat sebelumnya" in response.text
    assert "1 laporan" in response.text
    assert "2 pesan iseng" in response.text


# -- shifts ---------------------------------------------------------------------


async def test_an_operator_starts_and_ends_a_shift_with_a_desk_phone(
    app: Sanic, database_url: str
) -> None:
    wulan = await operator(database_url)
    _, before = await app.asgi_client.get("/console/incidents", headers=wulan.headers)
    assert "Mulai bertugas" in before.text and "Sedang bertugas" not in before.text

    started = await post(
        app, wulan, "/console/incidents/shift", {"action": "start", "phone": "0354 123456"}
    )
    assert started.status == 303
    _, during = await app.asgi_client.get("/console/incidents", headers=wulan.headers)
    assert "Sedang bertugas sejak" in during.text and "Selesai bertugas" in during.text
    engine = create_engine(database_url)
    try:
        shift = await shifts.current(engine, wulan.person.id)
        assert shift is not None and shift.phone == "0354 123456"
        async with engine.connect() as conn:
            assert await shifts.on_duty_count(conn) == 1

        assert (await post(app, wulan, "/console/incidents/shift", {"action": "end"})).status == 303
        assert await shifts.current(engine, wulan.person.id) is None
    finally:
        await engine.dispose()


async def test_the_board_names_who_else_is_on_duty(app: Sanic, database_url: str) -> None:
    wulan = await operator(database_url)
    budi = await operator(database_url, "budi")
    await post(app, budi, "/console/incidents/shift", {"action": "start"})
    _, response = await app.asgi_client.get("/console/incidents", headers=wulan.headers)
    assert "Juga bertugas" in response.text and "Budi" in response.text


async def test_a_shift_with_a_bad_phone_number_is_refused_on_the_board(
    app: Sanic, database_url: str
) -> None:
    wulan = await operator(database_url)
    response = await post(
        app, wulan, "/console/incidents/shift", {"action": "start", "phone": "<script>"}
    )
    assert response.status == 400
    assert "Nomor telepon meja" in response.text
    engine = create_engine(database_url)
    try:
        assert await shifts.current(engine, wulan.person.id) is None
    finally:
        await engine.dispose()


# -- one incident ---------------------------------------------------------------


async def test_the_incident_page_shows_place_map_transcript_timeline_and_history(
    app: Sanic, database_url: str
) -> None:
    earlier = await file_incident(
        database_url, kind="emergency_medical", received_at=utcnow() - timedelta(days=1)
    )
    await add_ticket(database_url, "KDR-2026-000777", SENDER)
    await add_pranks(database_url, SENDER, 3)
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    _, response = await app.asgi_client.get(
        f"/console/incidents/{incident_id}", headers=wulan.headers
    )
    assert response.status == 200
    page = response.text
    assert "Kebakaran" in page and "Belum diterima" in page
    assert "Pasar Setonobetek" in page and "Kel. Setonobetek" in page
    assert (
        "https://www.openstreetmap.org/?mlat=-7.816700&amp;mlon=112.011200#map=18/-7.816700/112.011200"
        in page
    )
    assert "Tolong ada kebakaran di pasar" in page  # the transcript and the report
    assert "+0 dtk" in page and "Laporan masuk dari pelapor" in page
    assert "Peringatan dikirim" in page
    assert f'href="/console/incidents/{earlier}"' in page and "Darurat medis" in page
    assert "KDR-2026-000777" in page
    assert "3 pesan dari percakapan ini dikenali bot sebagai pesan iseng" in page
    # Open: accept and resolve are offered; replying waits for the accept.
    assert f'action="/console/incidents/{incident_id}/accept"' in page
    assert f'action="/console/incidents/{incident_id}/resolve"' in page
    assert f'action="/console/incidents/{incident_id}/reply"' not in page
    # Reading an incident is accounted for.
    audits = await query(database_url, select(audit_log.c.action, audit_log.c.record_id))
    assert ("incident.view", str(incident_id)) in [(a.action, a.record_id) for a in audits]


async def test_the_incident_page_shows_the_citizens_later_messages_and_photos(
    app: Sanic, database_url: str
) -> None:
    received = utcnow() - timedelta(minutes=2)
    incident_id = await file_incident(database_url, received_at=received)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            row = (
                await conn.execute(select(incident_table).where(incident_table.c.id == incident_id))
            ).one()
            photo = "https://lapor.example/media/" + "a" * 32
            await incidents.citizen_said(
                conn, row, received + timedelta(seconds=30), "apinya besar", {}
            )
            await incidents.citizen_said(
                conn, row, received + timedelta(seconds=40), None, {"media_urls": [photo]}
            )
            await incidents.citizen_said(
                conn,
                row,
                received + timedelta(seconds=50),
                None,
                {"location": {"latitude": -7.82, "longitude": 112.02}},
            )
    finally:
        await engine.dispose()
    wulan = await operator(database_url)
    _, response = await app.asgi_client.get(
        f"/console/incidents/{incident_id}?part=timeline", headers=wulan.headers
    )
    assert response.status == 200
    assert "<html" not in response.text  # only the live part
    assert "apinya besar" in response.text and "+30 dtk" in response.text
    assert f'<img src="/media/{"a" * 32}"' in response.text
    assert "Lokasi dibagikan: -7.82000, 112.02000" in response.text


async def test_an_unknown_incident_is_not_found(app: Sanic, database_url: str) -> None:
    wulan = await operator(database_url)
    _, response = await app.asgi_client.get("/console/incidents/999999", headers=wulan.headers)
    assert response.status == 404
    for action in ("accept", "reply", "note", "resolve", "dispatch", "handover", "callback"):
        response = await post(app, wulan, f"/console/incidents/999999/{action}", {"text": "x"})
        assert response.status == 404, action
    seen = await post(app, wulan, "/console/incidents/999999/seen", accept_json=True)
    assert seen.status == 404 and seen.json == {"error": "Kejadian ini tidak ditemukan."}


# -- accepting ------------------------------------------------------------------


async def test_accepting_tells_the_citizen_and_pauses_the_bot(
    app: Sanic, database_url: str
) -> None:
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    response = await post(app, wulan, f"/console/incidents/{incident_id}/accept")
    assert response.status == 303
    assert response.headers["location"] == f"/console/incidents/{incident_id}?selesai=diterima"
    row = await state_of(database_url, incident_id)
    assert (row.state, row.owner_id) == ("accepted", wulan.person.id)
    assert "accepted" in await timeline_kinds(database_url, incident_id)
    sent = await queued(database_url, incident_id)
    assert [s.kind for s in sent] == ["pause", "message"]
    assert "Wulan" in sent[1].payload["text"]

    _, page = await app.asgi_client.get(response.headers["location"], headers=wulan.headers)
    assert "Pelapor sudah diberi tahu" in page.text
    assert f'action="/console/incidents/{incident_id}/reply"' in page.text
    assert 'class="badge lead">utama' in page.text  # Damkar leads a fire


async def test_two_operators_racing_to_accept_one_wins_and_the_other_is_told_who(
    app: Sanic, database_url: str
) -> None:
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    budi = await operator(database_url, "budi")
    path = f"/console/incidents/{incident_id}/accept"
    first, second = await asyncio.gather(post(app, wulan, path), post(app, budi, path))
    statuses = sorted([first.status, second.status])
    assert statuses == [303, 409]
    loser = first if first.status == 409 else second
    winner_name = "Budi" if loser is first else "Wulan"
    assert f"sudah diterima oleh {winner_name}" in loser.text
    assert (await timeline_kinds(database_url, incident_id)).count("accepted") == 1
    owner = (await state_of(database_url, incident_id)).owner_id
    assert owner == (budi if loser is first else wulan).person.id


async def test_a_json_caller_gets_json_for_a_lost_race(app: Sanic, database_url: str) -> None:
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    budi = await operator(database_url, "budi")
    ok = await post(app, wulan, f"/console/incidents/{incident_id}/accept", accept_json=True)
    assert ok.status == 200 and ok.json == {"ok": True}
    lost = await post(app, budi, f"/console/incidents/{incident_id}/accept", accept_json=True)
    assert lost.status == 409
    assert lost.json == {"error": "Kejadian ini sudah diterima oleh Wulan."}


async def test_the_first_operator_to_see_an_alert_is_recorded_once(
    app: Sanic, database_url: str
) -> None:
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    budi = await operator(database_url, "budi")
    first = await post(app, wulan, f"/console/incidents/{incident_id}/seen", accept_json=True)
    again = await post(app, budi, f"/console/incidents/{incident_id}/seen", accept_json=True)
    assert first.json == {"ok": True, "first": True}
    assert again.json == {"ok": True, "first": False}
    assert (await timeline_kinds(database_url, incident_id)).count("seen") == 1
    assert (await state_of(database_url, incident_id)).seen_at is not None


# -- working an accepted incident ---------------------------------------------


async def test_reply_dispatch_note_handover_and_resolve_are_recorded_and_sent(
    app: Sanic, database_url: str
) -> None:
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    kepala = await operator(database_url, "kepala", supervisor=True)
    base = f"/console/incidents/{incident_id}"
    await post(app, wulan, f"{base}/accept")

    replied = await post(app, wulan, f"{base}/reply", {"text": "Damkar sedang menuju lokasi."})
    assert replied.headers["location"] == f"{base}?selesai=dibalas"
    dispatched = await post(app, wulan, f"{base}/dispatch", {"agency": ["damkar", "psc119"]})
    assert dispatched.status == 303
    noted = await post(app, wulan, f"{base}/note", {"text": "Pelapor panik, api di lantai 2."})
    assert noted.status == 303
    _, page = await app.asgi_client.get(base, headers=wulan.headers)
    assert "kepala" in page.text  # the shift lead is offered for a hand-over
    handed = await post(app, wulan, f"{base}/handover", {"to": "kepala"})
    assert handed.headers["location"] == f"{base}?selesai=diserahkan"
    assert (await state_of(database_url, incident_id)).owner_id == kepala.person.id
    # Now the shift lead's: the operator may only add notes.
    assert (await post(app, wulan, f"{base}/reply", {"text": "halo"})).status == 409
    resolved = await post(app, kepala, f"{base}/resolve", {"note": "Api padam, 1 korban dibawa."})
    assert resolved.headers["location"] == f"{base}?selesai=selesai"

    kinds = await timeline_kinds(database_url, incident_id)
    for kind in ("operator_reply", "note", "handed_over", "resolved"):
        assert kind in kinds
    assert kinds.count("dispatched") == 2
    sent = await queued(database_url, incident_id)
    assert [s.kind for s in sent] == ["pause", "message", "message", "message", "resume"]
    assert sent[2].payload["text"] == "Damkar sedang menuju lokasi."
    assert "Api padam" in sent[3].payload["text"]
    row = await state_of(database_url, incident_id)
    assert (row.state, row.resolution) == ("resolved", "Api padam, 1 korban dibawa.")

    _, page = await app.asgi_client.get(f"{base}?part=timeline", headers=kepala.headers)
    assert "Instansi dihubungi: <strong>Dinas Pemadam Kebakaran (Damkar) Kota Kediri</strong>" in (
        page.text
    )
    assert "Diserahkan oleh Wulan kepada Kepala" in page.text
    assert "Pesan ke pelapor" in page.text and "Bot diaktifkan kembali" in page.text


async def test_a_call_back_rings_the_desk_phone_of_the_callers_shift(
    app: Sanic, database_url: str
) -> None:
    incident_id = await file_incident(database_url, contact="sealed-token")
    wulan = await operator(database_url)
    base = f"/console/incidents/{incident_id}"
    await post(app, wulan, f"{base}/accept")
    no_phone = await post(app, wulan, f"{base}/callback")
    assert no_phone.status == 400 and "nomor telepon meja" in no_phone.text
    await post(app, wulan, "/console/incidents/shift", {"action": "start", "phone": "0354123456"})
    _, page = await app.asgi_client.get(base, headers=wulan.headers)
    assert "Telepon balik pelapor" in page.text
    called = await post(app, wulan, f"{base}/callback")
    assert called.headers["location"] == f"{base}?selesai=telepon"
    calls = [s for s in await queued(database_url, incident_id) if s.kind == "call"]
    assert len(calls) == 1 and calls[0].payload["to"] == "0354123456"
    assert "callback" in await timeline_kinds(database_url, incident_id)


async def test_a_web_chat_incident_offers_no_call_back(app: Sanic, database_url: str) -> None:
    incident_id = await file_incident(database_url, channel="web", sender="web-session-1")
    wulan = await operator(database_url)
    await post(app, wulan, f"/console/incidents/{incident_id}/accept")
    _, page = await app.asgi_client.get(f"/console/incidents/{incident_id}", headers=wulan.headers)
    assert "Telepon balik pelapor" not in page.text and "Kirim balasan" in page.text


async def test_bad_input_is_answered_on_the_page_and_changes_nothing(
    app: Sanic, database_url: str
) -> None:
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    base = f"/console/incidents/{incident_id}"
    await post(app, wulan, f"{base}/accept")
    before = await timeline_kinds(database_url, incident_id)
    cases = [
        ("reply", {"text": "   ", "form": "reply"}, "Tulis balasan untuk pelapor."),
        ("dispatch", {"agency": "pemadam-palsu"}, "Instansi itu tidak ada di daftar"),
        ("dispatch", {}, "Pilih instansi yang dihubungi."),
        ("note", {"text": ""}, "Tulis catatannya."),
        ("handover", {"to": "tidak-ada"}, "Pilih kepala regu"),
        ("handover", {"to": "budi"}, "kepala regu 112 yang aktif"),
        ("resolve", {"note": ""}, "Tulis catatan penyelesaian."),
    ]
    await operator(database_url, "budi")
    for action, fields, message in cases:
        response = await post(app, wulan, f"{base}/{action}", fields)
        assert response.status == 400, action
        assert message in response.text, action
        assert 'role="alert"' in response.text
    assert await timeline_kinds(database_url, incident_id) == before
    assert (await state_of(database_url, incident_id)).state == "accepted"


async def test_a_refused_change_keeps_what_the_operator_wrote(
    app: Sanic, database_url: str
) -> None:
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    budi = await operator(database_url, "budi")
    await post(app, wulan, f"/console/incidents/{incident_id}/accept")
    # Budi is not the owner: the note form still works, a resolve is refused.
    refused = await post(
        app, budi, f"/console/incidents/{incident_id}/resolve", {"note": "sudah aman <b>ya</b>"}
    )
    assert refused.status == 409
    assert "ditangani operator lain" in refused.text
    assert "sudah aman &lt;b&gt;ya&lt;/b&gt;" in refused.text


async def test_a_resolved_incident_cannot_be_resolved_or_accepted_again(
    app: Sanic, database_url: str
) -> None:
    incident_id = await file_incident(database_url)
    wulan = await operator(database_url)
    base = f"/console/incidents/{incident_id}"
    # An open incident may be closed at once (a prank, a duplicate).
    assert (await post(app, wulan, f"{base}/resolve", {"note": "Laporan ganda."})).status == 303
    again = await post(app, wulan, f"{base}/resolve", {"note": "lagi"})
    assert again.status == 409 and "sudah selesai" in again.text
    accepted = await post(app, wulan, f"{base}/accept")
    assert accepted.status == 409 and "sudah selesai" in accepted.text
    sent = await queued(database_url, incident_id)
    assert [s.kind for s in sent] == ["message"]  # no pause was made, so no resume


# -- helpers ----------------------------------------------------------------------


async def add_pranks(database_url: str, sender: str, count: int) -> None:
    engine = create_engine(database_url)
    now = utcnow()
    try:
        async with engine.begin() as conn:
            found = (
                await conn.execute(
                    select(conversations.c.id).where(conversations.c.sender_key == sender)
                )
            ).scalar()
            if found is None:
                found = (
                    await conn.execute(
                        insert(conversations).values(
                            sender_key=sender, channel="whatsapp", started_at=now, last_event_at=now
                        )
                    )
                ).inserted_primary_key[0]
            for intent in ["prank"] * count + ["greet"]:
                await conn.execute(
                    insert(conversation_events).values(
                        conversation_id=found,
                        event_key=uuid.uuid4().hex,
                        kind="user",
                        at=now,
                        text="iseng",
                        intent=intent,
                    )
                )
    finally:
        await engine.dispose()

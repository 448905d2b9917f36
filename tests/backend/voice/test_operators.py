"""What operators do with a 112 call (backend/voice/operators.py) and what it leaves behind."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, AsyncIterator

import pytest
from sanic import Sanic
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.app import emergency_senders
from backend.emergency import incidents, sends
from backend.emergency.agencies import load
from backend.emergency.incidents import IncidentConflict, IncidentError
from backend.outbound import build
from backend.settings import BackendSettings
from backend.tables import incident_events, voice_calls
from backend.voice import messages, operators
from backend.voice.line import line_from
from lapor.contact import ContactCipher
from lapor.db import create_engine
from lapor.settings import DEVELOPMENT_CONTACT_KEY
from tests.backend.console.helpers import make_person
from tests.backend.emergency.helpers import incident, queued, timeline
from tests.backend.voice.helpers import CALLER, call_row
from tests.fake_twilio import PUBLIC, FakeTwilio
from tests.voice_line import SILENCE, Caller, sanic_post, says, signed

DESK = "+62354111222"
CIPHER = ContactCipher(DEVELOPMENT_CONTACT_KEY.encode())
DIRECTORY = load()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def _queued_call(voice_app: Sanic, database_url: str, number: str = CALLER) -> Any:
    caller = Caller(number, [says("tolong rumah saya kebakaran")])
    assert (await caller.ring(sanic_post(voice_app))).queued
    return await call_row(database_url, caller.sid)


async def _flush(engine: AsyncEngine, settings: BackendSettings, incident_id: int) -> None:
    out = build(settings, CIPHER)
    await sends.flush(engine, emergency_senders(settings, out, CIPHER), incident_id=incident_id)


async def test_taking_a_call_accepts_its_incident_and_dials_the_operators_desk(
    voice_app: Sanic,
    voice_settings: BackendSettings,
    database_url: str,
    engine: AsyncEngine,
    fake: FakeTwilio,
) -> None:
    call = await _queued_call(voice_app, database_url)
    ani = await make_person(database_url, "ani", ["operator"])
    incident_id = await operators.take(engine, call.id, ani, DESK, line_from(voice_settings))
    row = await incident(engine, incident_id)
    assert (row.state, row.owner_id) == ("accepted", ani.id)
    # A phone call: no chat message, no bot to pause; one request to Twilio.
    assert [s.kind for s in await queued(engine, incident_id)] == ["connect"]
    await _flush(engine, voice_settings, incident_id)
    (update,) = fake.call_updates()
    assert update["CallSid"] == call.call_sid
    dial = ET.fromstring(update["Twiml"]).find("Dial")
    assert dial is not None and dial.findtext("Number") == DESK
    assert dial.attrib["action"] == f"{PUBLIC}/voice/dialled?call={call.call_sid}"
    assert (await call_row(database_url, call.call_sid)).state == "connecting"


async def test_a_second_operator_cannot_take_a_call_already_taken(
    voice_app: Sanic, voice_settings: BackendSettings, database_url: str, engine: AsyncEngine
) -> None:
    call = await _queued_call(voice_app, database_url)
    line = line_from(voice_settings)
    ani = await make_person(database_url, "ani", ["operator"])
    budi = await make_person(database_url, "budi", ["operator"])
    await operators.take(engine, call.id, ani, DESK, line)
    with pytest.raises(IncidentConflict, match="sudah diambil"):
        await operators.take(engine, call.id, budi, "+62354999888", line)


async def test_taking_a_call_needs_the_operators_desk_phone(
    voice_app: Sanic, voice_settings: BackendSettings, database_url: str, engine: AsyncEngine
) -> None:
    call = await _queued_call(voice_app, database_url)
    ani = await make_person(database_url, "ani", ["operator"])
    with pytest.raises(IncidentError, match="nomor telepon meja"):
        await operators.take(engine, call.id, ani, None, line_from(voice_settings))
    assert (await call_row(database_url, call.call_sid)).state == "queued"


async def test_the_call_is_connected_when_the_operator_answers_and_requeued_when_they_do_not(
    voice_app: Sanic, voice_settings: BackendSettings, database_url: str, engine: AsyncEngine
) -> None:
    call = await _queued_call(voice_app, database_url)
    line = line_from(voice_settings)
    ani = await make_person(database_url, "ani", ["operator"])
    incident_id = await operators.take(engine, call.id, ani, DESK, line)
    post = sanic_post(voice_app)
    # The desk phone does not answer: the caller goes back to the queue, the incident to everyone.
    url = f"{PUBLIC}/voice/dialled?call={call.call_sid}"
    form = {"CallSid": call.call_sid, "DialCallStatus": "no-answer", "DialCallSid": "CA" + "9" * 32}
    status, twiml = await post(url.removeprefix(PUBLIC), _body(form), signed(url, form))
    assert status == 200 and ET.fromstring(twiml).findtext("Enqueue") == "lapor112"
    assert (await call_row(database_url, call.call_sid)).state == "queued"
    assert (await incident(engine, incident_id)).state == "open"
    # Taken again, and this time the operator picks up.
    await operators.take(engine, call.id, ani, DESK, line)
    url = f"{PUBLIC}/voice/answered?call={call.call_sid}"
    form = {"CallSid": "CA" + "8" * 32, "ParentCallSid": call.call_sid}
    status, _ = await post(url.removeprefix(PUBLIC), _body(form), signed(url, form))
    row = await call_row(database_url, call.call_sid)
    assert status == 200 and row.state == "connected" and row.connected_at is not None
    kinds = await timeline(engine, incident_id)
    assert kinds[-6:] == [
        "accepted",
        "call_taken",
        "released",
        "accepted",
        "call_taken",
        "call_connected",
    ]


async def test_sorting_a_call_as_a_real_fire_names_it_and_records_the_dispatch(
    voice_app: Sanic, database_url: str, engine: AsyncEngine
) -> None:
    call = await _queued_call(voice_app, database_url)
    ani = await make_person(database_url, "ani", ["operator"])
    sorting = operators.Sorting("valid", "emergency_fire", ["damkar"], "rumah di Jl. Dhoho")
    await operators.sort(engine, call.id, ani, sorting, DIRECTORY)
    row = await incident(engine, call.incident_id)
    assert (row.kind, row.state, row.owner_id) == ("emergency_fire", "accepted", ani.id)
    assert (await timeline(engine, row.id))[-2:] == ["call_sorted", "dispatched"]
    assert (await call_row(database_url, call.call_sid)).class_ == "valid"


async def test_a_prank_is_resolved_and_its_number_warned_once(
    voice_app: Sanic, database_url: str, engine: AsyncEngine
) -> None:
    call = await _queued_call(voice_app, database_url)
    ani = await make_person(database_url, "ani", ["operator"])
    await operators.sort(engine, call.id, ani, operators.Sorting("prank"), DIRECTORY)
    row = await incident(engine, call.incident_id)
    assert (row.state, row.resolution) == ("resolved", "Panggilan iseng")
    after = await call_row(database_url, call.call_sid)
    assert (after.class_, after.message_kind) == ("prank", "prank")


async def test_sorting_needs_a_class_and_a_real_emergency_its_type(
    voice_app: Sanic, database_url: str, engine: AsyncEngine
) -> None:
    call = await _queued_call(voice_app, database_url)
    ani = await make_person(database_url, "ani", ["operator"])
    with pytest.raises(IncidentError, match="jenis panggilan"):
        await operators.sort(engine, call.id, ani, operators.Sorting("maybe"), DIRECTORY)
    for code in (None, "emergency_call", "emergency_unknown"):
        with pytest.raises(IncidentError, match="jenis keadaan darurat"):
            await operators.sort(engine, call.id, ani, operators.Sorting("valid", code), DIRECTORY)
    assert (await incident(engine, call.incident_id)).state == "open"


async def test_a_number_with_pranks_waits_in_the_prank_queue_until_a_supervisor_clears_it(
    voice_app: Sanic,
    voice_settings: BackendSettings,
    database_url: str,
    engine: AsyncEngine,
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    for _ in range(voice_settings.voice_prank_limit):
        call = await _queued_call(voice_app, database_url)
        await operators.sort(engine, call.id, ani, operators.Sorting("prank"), DIRECTORY)
    flagged = Caller(CALLER, [says("tolong ada kecelakaan")])
    outcome = await flagged.ring(sanic_post(voice_app))
    # Never blocked: the call still reaches a queue, after a warning.
    assert outcome.queued
    response = ET.fromstring(outcome.twiml[-1])
    assert response.findtext("Enqueue") == "lapor112-iseng"
    assert "panggilan iseng" in (response.findtext("Say") or "")
    assert (await call_row(database_url, flagged.sid)).queue == "prank"
    with pytest.raises(IncidentError, match="kepala regu"):
        await operators.clear_prank(engine, CIPHER.pseudonym(CALLER), ani)
    lead = await make_person(database_url, "kepala", ["operator_supervisor"])
    await operators.clear_prank(engine, CIPHER.pseudonym(CALLER), lead)
    again = Caller(CALLER, [says("tolong ada kecelakaan")])
    outcome = await again.ring(sanic_post(voice_app))
    assert ET.fromstring(outcome.twiml[-1]).findtext("Enqueue") == "lapor112"
    # Another number is never affected by this one's flag.
    other = await _queued_call(voice_app, database_url, "+6285600000001")
    assert other.queue == "main"


async def test_the_ghost_message_invites_a_reply_that_opens_the_bots_form(
    voice_app: Sanic,
    voice_settings: BackendSettings,
    database_url: str,
    engine: AsyncEngine,
    fake: FakeTwilio,
) -> None:
    ghost = Caller(CALLER, [SILENCE, SILENCE, SILENCE])
    await ghost.ring(sanic_post(voice_app))
    out = build(voice_settings, CIPHER)
    await messages.flush(engine, out, CIPHER)
    sent = [m for m in fake.delivered() if m["To"] == f"whatsapp:{CALLER}"]
    # Outside the 24-hour window: the approved template, once.
    assert len(sent) == 1 and sent[0]["ContentSid"] == voice_settings.twilio_templates["ghost_call"]
    assert (await call_row(database_url, ghost.sid)).message_state == "sent"
    message = messages.message("ghost", ghost.sid)
    assert message.expects is not None and message.expects.form == "ghost_reply_form"
    assert message.expects.slots == {"ghost_call": ghost.sid}
    assert await messages.flush(engine, out, CIPHER) == 0


async def test_a_message_without_an_approved_template_is_kept_as_undeliverable(
    voice_app: Sanic,
    voice_settings: BackendSettings,
    database_url: str,
    engine: AsyncEngine,
    fake: FakeTwilio,
) -> None:
    call = await _queued_call(voice_app, database_url)
    ani = await make_person(database_url, "ani", ["operator"])
    await operators.sort(engine, call.id, ani, operators.Sorting("prank"), DIRECTORY)
    assert "prank_warning" not in voice_settings.twilio_templates
    await messages.flush(engine, build(voice_settings, CIPHER), CIPHER)
    row = await call_row(database_url, call.call_sid)
    assert row.message_state == "undeliverable" and "template" in (row.message_error or "")
    assert fake.delivered() == []


async def test_an_events_timeline_shows_how_the_call_was_sorted(
    voice_app: Sanic, database_url: str, engine: AsyncEngine
) -> None:
    call = await _queued_call(voice_app, database_url)
    ani = await make_person(database_url, "ani", ["operator"])
    await operators.sort(
        engine, call.id, ani, operators.Sorting("information", note="jam buka"), DIRECTORY
    )
    async with engine.connect() as conn:
        sorted_ = (
            await conn.execute(
                select(incident_events).where(incident_events.c.kind == "call_sorted")
            )
        ).one()
    assert sorted_.data == {"class": "information", "label": "Permintaan informasi"}
    assert sorted_.text == "jam buka" and sorted_.actor_id == ani.id
    assert (await incident(engine, call.incident_id)).resolution == "jam buka"
    assert (await incident(engine, call.incident_id)).state == incidents.RESOLVED
    async with engine.connect() as conn:
        assert (await conn.execute(select(voice_calls.c.message_state))).scalar() == "none"


def _body(form: Any) -> bytes:
    from urllib.parse import urlencode

    return urlencode(form).encode()


async def test_only_the_operator_who_took_a_call_or_a_supervisor_may_sort_it(
    voice_app: Sanic, voice_settings: BackendSettings, database_url: str, engine: AsyncEngine
) -> None:
    call = await _queued_call(voice_app, database_url)
    ani = await make_person(database_url, "ani", ["operator"])
    budi = await make_person(database_url, "budi", ["operator"])
    await operators.take(engine, call.id, ani, DESK, line_from(voice_settings))
    fire = operators.Sorting("valid", "emergency_fire", ["damkar"])
    with pytest.raises(IncidentConflict, match="operator lain"):
        await operators.sort(engine, call.id, budi, fire, DIRECTORY)
    assert (await call_row(database_url, call.call_sid)).class_ is None
    assert (await incident(engine, call.incident_id)).kind == "emergency_call"
    lead = await make_person(database_url, "kepala", ["operator_supervisor"])
    await operators.sort(engine, call.id, lead, fire, DIRECTORY)
    assert (await incident(engine, call.incident_id)).kind == "emergency_fire"


async def test_a_caller_cannot_be_sent_a_written_reply(
    voice_app: Sanic, voice_settings: BackendSettings, database_url: str, engine: AsyncEngine
) -> None:
    call = await _queued_call(voice_app, database_url)
    ani = await make_person(database_url, "ani", ["operator"])
    await operators.take(engine, call.id, ani, DESK, line_from(voice_settings))
    with pytest.raises(IncidentError, match="menelepon 112"):
        await incidents.reply(engine, call.incident_id, ani, "Petugas segera datang")
    assert [s.kind for s in await queued(engine, call.incident_id)] == ["connect"]

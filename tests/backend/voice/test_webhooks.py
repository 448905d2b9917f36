"""The 112 number's webhooks (backend/voice/webhooks.py), as Twilio calls them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, List

from sanic import Sanic
from sqlalchemy import func, select

from backend.tables import incidents, live_events, voice_calls, voice_steps
from lapor.contact import ContactCipher
from lapor.settings import DEVELOPMENT_CONTACT_KEY
from tests.backend.emergency.helpers import timeline
from tests.backend.voice.helpers import CALLER, call_row, engine_of, rows
from tests.fake_twilio import PUBLIC
from tests.voice_line import (
    HANG_UP,
    SILENCE,
    Caller,
    presses,
    sanic_post,
    says,
    signed,
)

CIPHER = ContactCipher(DEVELOPMENT_CONTACT_KEY.encode())


def tags(twiml: str) -> List[str]:
    return [element.tag for element in ET.fromstring(twiml).iter()]


async def test_the_call_is_answered_at_once_with_an_indonesian_prompt_listening_for_voice_and_keys(
    voice_app: Sanic,
) -> None:
    outcome = await Caller(CALLER, [HANG_UP]).ring(sanic_post(voice_app), end=False)
    gather = ET.fromstring(outcome.twiml[0]).find("Gather")
    assert gather is not None and outcome.statuses == [200]
    assert gather.attrib["input"] == "speech dtmf" and gather.attrib["language"] == "id-ID"
    assert gather.attrib["action"] == PUBLIC + "/voice/gather?step=greeting"
    assert gather.attrib["actionOnEmptyResult"] == "true"
    say = gather.find("Say")
    assert say is not None and say.attrib["voice"].startswith("Google.id-ID")
    assert "112 Kota Kediri" in (say.text or "")


async def test_a_caller_who_speaks_is_queued_and_the_operators_are_alerted(
    voice_app: Sanic, database_url: str
) -> None:
    outcome = await Caller(CALLER, [says("tolong ada kebakaran di pasar setonobetek")]).ring(
        sanic_post(voice_app)
    )
    assert outcome.queued
    enqueue = ET.fromstring(outcome.twiml[-1]).find("Enqueue")
    assert enqueue is not None and enqueue.text == "lapor112"
    assert enqueue.attrib["waitUrl"] == PUBLIC + "/voice/wait"
    call = await call_row(database_url, outcome.sid)
    assert (call.state, call.route, call.queue, call.cannot_speak) == (
        "queued",
        "speech",
        "main",
        False,
    )
    engine = engine_of(database_url)
    incident = (await rows(engine, incidents))[0]
    assert (incident.kind, incident.channel, incident.state) == ("emergency_call", "phone", "open")
    assert incident.text == "tolong ada kebakaran di pasar setonobetek"
    # The number is sealed: only the contact key opens it.
    assert CALLER not in str(incident.contact) and CIPHER.open(incident.contact) == CALLER
    assert incident.conversation_key == CIPHER.pseudonym(CALLER)  # their WhatsApp chat's too
    assert await timeline(engine, incident.id) == ["received", "alerted", "call_queued"]
    alerts = [e.data for e in await rows(engine, live_events) if e.topic == "incident"]
    assert {"incident_id": incident.id, "change": "created", "kind": "emergency_call"} in alerts
    await engine.dispose()


async def test_any_key_at_the_greeting_is_a_person_and_goes_to_the_queue(
    voice_app: Sanic, database_url: str
) -> None:
    outcome = await Caller(CALLER, [presses("1")]).ring(sanic_post(voice_app))
    assert outcome.queued
    call = await call_row(database_url, outcome.sid)
    assert (call.route, call.digits) == ("keys", "1")


async def test_a_silent_caller_hears_press_5_twice_and_55_puts_them_through_flagged(
    voice_app: Sanic, database_url: str
) -> None:
    outcome = await Caller(CALLER, [SILENCE, presses("55")]).ring(sanic_post(voice_app))
    prompt = ET.fromstring(outcome.twiml[1]).find("Gather")
    assert prompt is not None and prompt.attrib["numDigits"] == "2"
    assert "tekan 5 dua kali" in (prompt.findtext("Say") or "")
    assert outcome.queued
    call = await call_row(database_url, outcome.sid)
    assert (call.route, call.cannot_speak, call.prompts) == ("silent55", True, 1)
    engine = engine_of(database_url)
    incident = (await rows(engine, incidents))[0]
    assert "tidak bisa berbicara" in incident.text
    await engine.dispose()
    assert "tidak bisa berbicara" in (ET.fromstring(outcome.twiml[-1]).findtext("Say") or "")


async def test_a_single_5_at_the_prompt_gets_a_second_try(
    voice_app: Sanic, database_url: str
) -> None:
    outcome = await Caller(CALLER, [SILENCE, presses("5"), presses("55")]).ring(
        sanic_post(voice_app)
    )
    assert outcome.queued
    assert (await call_row(database_url, outcome.sid)).prompts == 2


async def test_speech_after_the_silent_prompt_puts_the_caller_through(
    voice_app: Sanic, database_url: str
) -> None:
    outcome = await Caller(CALLER, [SILENCE, says("ibu saya pingsan", 0.8)]).ring(
        sanic_post(voice_app)
    )
    assert outcome.queued
    assert (await call_row(database_url, outcome.sid)).route == "speech"


async def test_noise_and_silence_end_as_a_ghost_call_that_gets_a_whatsapp_message(
    voice_app: Sanic, database_url: str
) -> None:
    noise = says("eh", 0.12)
    outcome = await Caller(CALLER, [noise, noise, SILENCE]).ring(sanic_post(voice_app))
    assert not outcome.queued
    assert "Hangup" in tags(outcome.twiml[-2])  # the goodbye, then the status callback
    call = await call_row(database_url, outcome.sid)
    assert (call.state, call.class_, call.message_kind) == ("ended", "ghost", "ghost")
    # Queued with the call's end; this app's worker may already have sent it.
    assert call.message_state in ("pending", "sent") and call.end_status == "completed"
    assert call.confidence == 0.12 and call.incident_id is None
    engine = engine_of(database_url)
    assert await rows(engine, incidents) == []
    await engine.dispose()


async def test_a_caller_who_hangs_up_during_the_greeting_is_recorded_as_a_ghost_call(
    voice_app: Sanic, database_url: str
) -> None:
    outcome = await Caller(CALLER, [HANG_UP]).ring(sanic_post(voice_app))
    call = await call_row(database_url, outcome.sid)
    assert (call.class_, call.state, call.message_kind) == ("ghost", "ended", "ghost")


async def test_a_withheld_number_is_still_answered_but_has_nobody_to_message(
    voice_app: Sanic, database_url: str
) -> None:
    outcome = await Caller("anonymous", [SILENCE, SILENCE, SILENCE]).ring(sanic_post(voice_app))
    call = await call_row(database_url, outcome.sid)
    assert (call.class_, call.contact, call.message_state) == ("ghost", None, "none")
    queued = await Caller("anonymous", [says("tolong ada kecelakaan")]).ring(sanic_post(voice_app))
    assert queued.queued


async def test_a_caller_who_hangs_up_in_the_queue_is_shown_as_a_dropped_call(
    voice_app: Sanic, database_url: str
) -> None:
    caller = Caller(CALLER, [says("ada orang tenggelam di sungai brantas")])
    post = sanic_post(voice_app)
    await caller.ring(post)
    assert await caller.status(post, "completed") == 204
    call = await call_row(database_url, caller.sid)
    assert (call.state, call.dropped) == ("ended", True)
    engine = engine_of(database_url)
    incident = (await rows(engine, incidents))[0]
    assert incident.state == "open"  # still the operators' to call back
    assert (await timeline(engine, incident.id))[-1] == "call_dropped"
    await engine.dispose()


async def test_a_queued_caller_hears_the_hold_message(voice_app: Sanic) -> None:
    caller = Caller(CALLER, [says("tolong")])
    post = sanic_post(voice_app)
    await caller.ring(post)
    url = PUBLIC + "/voice/wait"
    form = {"CallSid": caller.sid, "QueuePosition": "1"}
    status, twiml = await post("/voice/wait", _encoded(form), signed(url, form))
    assert status == 200 and tags(twiml) == ["Response", "Say", "Pause"]


async def test_unsigned_or_wrongly_signed_requests_are_refused_and_change_nothing(
    voice_app: Sanic, database_url: str
) -> None:
    form = {"CallSid": "CA" + "1" * 32, "From": CALLER, "CallStatus": "ringing"}
    body = _encoded(form)
    post = sanic_post(voice_app)
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await post("/voice/incoming", body, unsigned))[0] == 403
    # Signed for another URL (the signature covers the URL Twilio called).
    other = signed(PUBLIC + "/voice/status", form)
    assert (await post("/voice/incoming", body, other))[0] == 403
    # Signed, then changed on the way.
    tampered = _encoded({**form, "From": "+6281111111111"})
    genuine = signed(PUBLIC + "/voice/incoming", form)
    assert (await post("/voice/incoming", tampered, genuine))[0] == 403
    for path in ("/voice/gather?step=greeting", "/voice/status", "/voice/wait", "/voice/dialled"):
        assert (await post(path, body, unsigned))[0] == 403
    engine = engine_of(database_url)
    assert await rows(engine, voice_calls) == [] and await rows(engine, voice_steps) == []
    await engine.dispose()


async def test_malformed_requests_get_a_clear_400(voice_app: Sanic) -> None:
    post = sanic_post(voice_app)
    form = {"CallSid": "not-a-call", "From": CALLER}
    url = PUBLIC + "/voice/incoming"
    status, text = await post("/voice/incoming", _encoded(form), signed(url, form))
    assert (status, text) == (400, "CallSid is missing or malformed")
    form = {"CallSid": "CA" + "2" * 32}
    url = PUBLIC + "/voice/gather?step=../../etc"
    status, text = await post("/voice/gather?step=../../etc", _encoded(form), signed(url, form))
    assert (status, text) == (400, "unknown step")


async def test_a_retried_step_gets_the_same_answer_and_acts_once(
    voice_app: Sanic, database_url: str
) -> None:
    caller = Caller(CALLER, [says("kebakaran rumah di jalan dhoho")])
    post = sanic_post(voice_app)
    first = await caller.ring(post, end=False)
    # Twilio did not get our answer and sends the same two requests again.
    again = await Caller(CALLER, caller.script, sid=caller.sid).ring(post, end=False)
    assert again.twiml == first.twiml
    engine = engine_of(database_url)
    assert len(await rows(engine, incidents)) == 1
    assert len(await rows(engine, voice_calls)) == 1
    incident = (await rows(engine, incidents))[0]
    assert (await timeline(engine, incident.id)).count("call_queued") == 1
    async with engine.connect() as conn:
        steps = (await conn.execute(select(func.count()).select_from(voice_steps))).scalar()
    assert steps == 2  # incoming, gather-greeting
    await engine.dispose()


def _encoded(form: Any) -> bytes:
    from urllib.parse import urlencode

    return urlencode(form).encode()

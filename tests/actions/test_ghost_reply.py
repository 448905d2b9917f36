"""The reply to "Anda baru saja menelepon 112" after a silent call becomes an
incident for the live 112 operators, against the real backend: its kind, a
key made from the call (a retry files it once), the reply's words and the
sealed number; kept when the backend is down; and the citizen is told only
what happened to it."""

from __future__ import annotations

import time
import uuid
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from actions import texts
from actions.ghost_reply import (
    KIND,
    SENT_VOICE,
    SubmitGhostReply,
    ValidateGhostReplyForm,
    followup_key,
)
from actions.incidents import IncidentQueue
from actions.settings import ActionSettings
from backend.emergency import shifts
from tests.actions import test_incidents as against_the_city
from tests.actions.test_incidents import City, _down, _incidents_of, _operator, _read, _sender
from tests.actions.trackers import domain, slot_events, tracker

# The live backend of tests/actions/test_incidents.py (a module of its own here).
city = against_the_city.city
engine = against_the_city.engine
settings = against_the_city.settings

CALL = "CA0123456789abcdef0123456789abcdef"


def new_call() -> str:
    return "CA" + uuid.uuid4().hex


VOICE = "http://localhost:8000/media/" + "ab" * 16


def reply(
    text: str,
    sender: str,
    *,
    answer: Optional[Dict[str, Any]] = None,
    call: Optional[str] = None,
    metadata: Optional[Dict[str, Any]] = None,
) -> Tracker:
    prompt = "Anda baru saja menelepon 112. Jika butuh bantuan, balas pesan ini"
    earlier = [{"event": "bot", "text": prompt, "timestamp": time.time() - 30}]
    t = tracker(
        text,
        "out_of_scope",
        sender_id=sender,
        slots={"ghost_call": call or CALL, "ghost_reply": answer, "requested_slot": None},
        metadata={"contact": "sealed-phone-token", **(metadata or {})},
        events=earlier,
        input_channel="whatsapp",
    )
    t.events[-1]["timestamp"] = time.time()
    return t


async def submit(settings: ActionSettings, t: Tracker) -> tuple[Dict[str, Any], List[str]]:
    dispatcher = CollectingDispatcher()
    events = await SubmitGhostReply(settings).run(dispatcher, t, domain())
    return slot_events(events), [m["text"] for m in dispatcher.messages]


async def test_the_reply_is_filed_with_its_kind_key_words_and_number(
    settings: ActionSettings, city: City, engine: AsyncEngine
) -> None:
    sender = _sender()
    words = "saya tidak bisa bicara, ada pencuri di rumah"
    call = new_call()
    officer = await _operator(engine)
    await shifts.start(engine, officer.id, None)
    try:
        slots, said = await submit(
            settings, reply(words, sender, answer={"text": words}, call=call)
        )
    finally:
        await shifts.end(engine, officer.id)
    key = f"followup-{call}"
    assert said == [texts.GHOST_REPLY_SENT]
    assert slots == {"ghost_call": None, "ghost_reply": None, "incident_key": key}
    stored = await _read(city, key)
    assert stored is not None
    assert (stored["kind"], stored["state"], stored["channel"]) == (KIND, "open", "whatsapp")
    (row,) = await _incidents_of(engine, sender)
    assert (row.text, row.contact) == (words, "sealed-phone-token")
    # The operator reads the city's message and the reply, oldest first.
    assert [m["who"] for m in row.transcript] == ["bot", "user"]


async def test_a_retried_action_files_the_reply_once(
    settings: ActionSettings, engine: AsyncEngine
) -> None:
    sender, call = _sender(), new_call()
    t = reply("tolong", sender, answer={"text": "tolong"}, call=call)
    first, _ = await submit(settings, t)
    again, said = await submit(settings, t)
    assert first["incident_key"] == again["incident_key"] == f"followup-{call}"
    assert len(await _incidents_of(engine, sender)) == 1
    # Nobody is on duty in this test: recorded, and the citizen must call.
    assert said == [texts.INCIDENT_NOBODY_ON_DUTY]


async def test_with_the_backend_down_the_reply_is_kept_and_said_so(
    settings: ActionSettings,
) -> None:
    down = _down(settings)
    call = new_call()
    t = reply("tolong", _sender(), answer={"text": "tolong"}, call=call)
    slots, said = await submit(down, t)
    assert said == [texts.GHOST_REPLY_KEPT]
    assert slots["incident_key"] == f"followup-{call}"
    assert await IncidentQueue.shared(down.outbox_url).pending() == 1


async def test_a_refused_reply_is_not_claimed_and_the_citizen_is_told_to_call(
    settings: ActionSettings,
) -> None:
    sender = "x" * 300  # longer than any conversation the backend stores: a 400
    t = reply("tolong", sender, answer={"text": "tolong"}, call=new_call())
    slots, said = await submit(settings, t)
    assert said == [texts.INCIDENT_NOT_SENT]
    assert "incident_key" not in slots and slots["ghost_call"] is None


async def test_a_voice_note_alone_is_filed_and_words_are_asked_for(
    settings: ActionSettings, engine: AsyncEngine
) -> None:
    sender = _sender()
    t = reply("", sender, metadata={"voice_urls": [VOICE]})
    extracted = await ValidateGhostReplyForm().extract_ghost_reply(
        CollectingDispatcher(), t, domain()
    )
    assert extracted == {"ghost_reply": {"voice_urls": [VOICE]}}
    filed = reply("", sender, answer=extracted["ghost_reply"], call=new_call())
    _, said = await submit(settings, filed)
    assert said[-1] == texts.GHOST_REPLY_VOICE
    (row,) = await _incidents_of(engine, sender)
    assert row.text == SENT_VOICE


async def test_an_empty_reply_is_asked_again_and_a_pin_is_a_reply() -> None:
    form = ValidateGhostReplyForm()
    empty = await form.extract_ghost_reply(CollectingDispatcher(), reply("", "s"), domain())
    assert empty == {"ghost_reply": None}
    pinned = reply("", "s", metadata={"location": {"latitude": -7.8167, "longitude": 112.012}})
    answer = await form.extract_ghost_reply(CollectingDispatcher(), pinned, domain())
    assert answer == {"ghost_reply": {"latitude": -7.8167, "longitude": 112.012}}


@pytest.mark.parametrize(
    ("call", "key"),
    [
        ("CA12", "followup-CA12"),
        ("CA 12/34", "followup-CA-12-34"),
        ("C" * 80, ("followup-" + "C" * 80)[:64]),
    ],
)
def test_the_key_is_made_from_the_call_in_the_backend_s_alphabet(call: str, key: str) -> None:
    assert followup_key(call, tracker("x", "greet")) == key


def test_without_a_call_the_message_makes_the_key() -> None:
    assert len(followup_key(None, tracker("x", "greet"))) == 64

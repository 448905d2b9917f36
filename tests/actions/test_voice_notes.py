"""A voice note ("/share_voice", metadata voice_urls): the bot says honestly
that it cannot listen yet and asks for words; during a complaint the note's
link is kept in `voice_notes` (never taken as the photo) until the report is
filed or cancelled, and the form asks its question again."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.form import ValidateReportForm
from actions.report import REPORT_SLOTS
from actions.submit import SubmitReport
from actions.voice import VoiceNote
from tests.actions.trackers import domain, slot_events, tracker
from tests.servers import REPO_ROOT

STORED = "http://localhost:8000/media/" + "ab" * 16  # the backend's, by default settings
SECOND = "http://localhost:8000/media/" + "cd" * 16
FORM_SLOTS: Dict[str, Any] = {
    "category": "road",
    "details": True,
    "location": "jl. kawi",
    "description": "lubang besar",
}


def voice(urls: list, **kwargs: Any) -> Any:
    return tracker("", "share_voice", metadata={"voice_urls": urls}, **kwargs)


async def test_outside_a_form_the_bot_says_it_cannot_listen_and_asks_for_words() -> None:
    dispatcher = CollectingDispatcher()
    events = await VoiceNote().run(dispatcher, voice([STORED]), domain())
    assert events == []
    (message,) = dispatcher.messages
    assert message["response"] == "utter_voice_note"
    (answer,) = domain()["responses"]["utter_voice_note"]
    assert "belum dapat mendengarkan pesan suara" in answer["text"]
    assert "tuliskan" in answer["text"] and "112" in answer["text"]


async def test_during_a_complaint_the_note_is_kept_and_not_taken_as_the_photo() -> None:
    slots = {**FORM_SLOTS, "requested_slot": "photo"}
    dispatcher = CollectingDispatcher()
    events = await VoiceNote().run(
        dispatcher, voice([STORED], slots=slots, active_loop="report_form"), domain()
    )
    assert slot_events(events) == {"voice_notes": [STORED]}
    assert dispatcher.messages[0]["text"] == texts.VOICE_IN_REPORT
    # The form, run again on the same message, fills nothing: the photo
    # question is asked again (data/dialogue/rules.yml).
    form_events = await ValidateReportForm().run(
        CollectingDispatcher(), voice([STORED], slots=slots, active_loop="report_form"), domain()
    )
    assert not {"photo", "description"} & {e.get("name") for e in form_events}


async def test_later_voice_notes_are_added_and_forged_links_are_not() -> None:
    slots = {**FORM_SLOTS, "requested_slot": "description", "voice_notes": [STORED]}
    t = voice(
        [STORED, SECOND, "http://attacker.example/media/" + "ef" * 16],
        slots=slots,
        active_loop="report_form",
    )
    events = await VoiceNote().run(CollectingDispatcher(), t, domain())
    assert slot_events(events) == {"voice_notes": [STORED, SECOND]}


async def test_while_asked_where_the_emergency_is_the_place_is_asked_in_words() -> None:
    dispatcher = CollectingDispatcher()
    t = voice(
        [STORED], slots={"requested_slot": "emergency_location"}, active_loop="emergency_form"
    )
    assert await VoiceNote().run(dispatcher, t, domain()) == []
    assert dispatcher.messages[0]["text"] == texts.VOICE_IN_EMERGENCY


async def test_the_kept_notes_are_cleared_with_the_report() -> None:
    assert "voice_notes" in REPORT_SLOTS
    events = await SubmitReport().run(
        CollectingDispatcher(), tracker("ya", "affirm", slots={"voice_notes": [STORED]}), domain()
    )
    assert slot_events(events)["voice_notes"] is None


def test_the_rules_answer_a_voice_note_and_return_to_the_form() -> None:
    rules = yaml.safe_load(Path(REPO_ROOT / "data" / "dialogue" / "rules.yml").read_text())
    steps = {
        r["rule"]: [next(iter(s.items())) for s in r["steps"]]
        for r in rules["rules"]
        if {"intent": "share_voice"} in r["steps"]
    }
    assert steps["share_voice outside a form"] == [
        ("intent", "share_voice"),
        ("action", "action_voice_note"),
    ]
    assert steps["share_voice during a complaint"] == [
        ("intent", "share_voice"),
        ("action", "action_voice_note"),
        ("action", "report_form"),
        ("active_loop", "report_form"),
    ]

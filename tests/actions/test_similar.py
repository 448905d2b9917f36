"""A similar open report is offered at the summary ("laporan serupa"), and a
citizen who follows it has their report merged into it (actions/prompts.py,
form.py, submit.py) against the live backend."""

from __future__ import annotations

import uuid
from typing import Any, Dict

from rasa_sdk.executor import CollectingDispatcher

from actions.form import ValidateReportForm
from actions.prompts import AskConfirmed
from tests.actions.test_submit import REPORT, _public_ticket, _sender, _submit
from tests.actions.trackers import domain, entity, slot_events, tracker
from tests.servers import Server

PIN = {"latitude": -7.816731, "longitude": 112.012012}
NEAR = {"latitude": -7.816531, "longitude": 112.012012}  # about 20 m north


async def _summary(slots: Dict[str, Any]) -> tuple[Dict[str, Any], Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await AskConfirmed().run(dispatcher, tracker("lewati", "deny", slots=slots), domain())
    (message,) = dispatcher.messages
    return slot_events(events), message


async def test_the_summary_offers_to_follow_a_similar_open_report(action_env: Server) -> None:
    first, _ = await _submit({**REPORT, **PIN}, _sender())
    existing = slot_events(first)["last_ticket"]
    slots, message = await _summary(
        {**REPORT, **NEAR, "confirmed": None, "description": "lampune mati pak"}
    )
    assert slots == {"similar_ticket": existing}
    assert existing in message["text"] and "Laporan serupa" in message["text"]
    titles = [b["title"] for b in message["buttons"]]
    assert titles == ["Ya, kirim", f"Ikuti {existing}", "Ada yang salah"]


async def test_without_a_pin_or_a_similar_report_there_is_no_offer(action_env: Server) -> None:
    slots, message = await _summary({**REPORT, "confirmed": None})  # no pin
    assert slots == {"similar_ticket": None} and len(message["buttons"]) == 2
    slots, message = await _summary({**REPORT, **PIN, "category": "tree", "confirmed": None})
    assert slots == {"similar_ticket": None} and "serupa" not in message["text"]


async def test_the_follow_button_or_word_confirms_and_follows() -> None:
    asked = {**REPORT, "confirmed": None, "requested_slot": "confirmed", "similar_ticket": "KDR-1"}
    form = ValidateReportForm()
    for text, intent, entities in [
        ('/affirm{"follow": "1"}', "affirm", [entity("follow", "1")]),
        ("ikuti saja", "nlu_fallback", []),
        ("melu sing wis ono wae", "affirm", []),
    ]:
        t = tracker(text, intent, slots=asked, entities=entities, active_loop="report_form")
        events = await form.run(CollectingDispatcher(), t, domain())
        assert slot_events(events)["follow_similar"] is True, text
        assert slot_events(events)["confirmed"] is True
    plain = tracker("ya", "affirm", slots=asked, active_loop="report_form")
    events = await form.run(CollectingDispatcher(), plain, domain())
    assert slot_events(events)["confirmed"] is True and not slot_events(events).get(
        "follow_similar"
    )


async def test_following_files_the_report_and_merges_it(action_env: Server) -> None:
    first, _ = await _submit({**REPORT, **PIN}, _sender())
    existing = slot_events(first)["last_ticket"]
    slots = {**REPORT, **NEAR, "similar_ticket": existing, "follow_similar": True}
    events, messages = await _submit(
        slots, _sender(), started=1700000100.5 + uuid.uuid4().int % 1000
    )
    assert slot_events(events)["last_ticket"] == existing
    (said,) = messages
    assert said.startswith("✅") and f"laporan serupa *{existing}*" in said
    mine = said.split("*")[1]  # the citizen's own ticket number, kept on record
    stored = await _public_ticket(action_env, mine)
    assert stored["workflow_status"] == "duplikat"


async def test_a_follow_that_cannot_be_made_leaves_a_ticket_of_its_own(action_env: Server) -> None:
    slots = {**REPORT, **PIN, "similar_ticket": "KDR-2026-999999", "follow_similar": True}
    events, messages = await _submit(slots, _sender())
    own = slot_events(events)["last_ticket"]
    assert own != "KDR-2026-999999" and own in messages[0] and "Nomor tiket" in messages[0]
    assert "gabungkan" not in messages[0]  # no merge is claimed that did not happen

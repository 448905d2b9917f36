"""The citizen answers the city about their ticket (actions/ticket_dialogue.py):
the staff question's answer and the closure check, read from informal
Indonesian and Javanese, sent to the live backend; a backend that is down
keeps the question open and says so."""

from __future__ import annotations

import time
import uuid
from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select

from actions import texts
from actions.backend_client import Open311Client
from actions.report import SKIPPED
from actions.session import SessionStart
from actions.settings import get_settings
from actions.ticket_dialogue import (
    SubmitClosure,
    SubmitStaffAnswer,
    ValidateClosureForm,
    ValidateStaffAnswerForm,
    rating_of,
    verdict,
)
from backend.tables import ticket_events, tickets
from lapor.db import sync_url
from tests.actions.trackers import domain, slot_events, tracker
from tests.servers import Server, free_port


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("sudah beres, matur nuwun", "thank", True),
        ("wis beres", "inform_location", True),
        ("alhamdulillah sudah nyala", "out_of_scope", True),
        ("durung", "nlu_fallback", False),
        ("blm pak, lampune masih mati", "report_street_light", False),
        ("ora, isih rusak", "nlu_fallback", False),
        ("/affirm", "affirm", True),
        ("/deny", "deny", False),
        ("halo", "greet", None),
    ],
)
def test_is_it_fixed_is_read_from_what_citizens_write(
    text: str, intent: str, expected: Any
) -> None:
    assert verdict(intent, text) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5", 5),
        ("nilai 4", 4),
        ("⭐⭐⭐", 3),
        ("1 aja", 1),
        ("10", None),
        ("3 atau 4", None),
        ("", None),
    ],
)
def test_a_rating_is_one_to_five(text: str, expected: Any) -> None:
    assert rating_of(text) == expected


async def _validate(
    action: Any, text: str, intent: str, slots: Dict[str, Any]
) -> tuple[Dict[str, Any], List[str]]:
    dispatcher = CollectingDispatcher()
    form = "closure_form" if isinstance(action, ValidateClosureForm) else "staff_answer_form"
    t = tracker(text, intent, slots=slots, active_loop=form)
    events = await action.run(dispatcher, t, domain())
    return slot_events(events), [m.get("text") or m.get("response") for m in dispatcher.messages]


async def test_no_with_the_reason_reopens_without_more_questions() -> None:
    slots, _ = await _validate(
        ValidateClosureForm(), "belum, lampunya masih mati tiap malam", "deny",
        {"closing_ticket": "KDR-1", "requested_slot": "closure_fixed"},
    )  # fmt: skip
    assert slots["closure_fixed"] is False
    assert slots["closure_words"] == "belum, lampunya masih mati tiap malam"
    assert slots["closure_rating"] == SKIPPED


async def test_yes_asks_for_a_rating_and_an_unclear_answer_is_asked_again() -> None:
    ask = {"closing_ticket": "KDR-1", "requested_slot": "closure_fixed"}
    slots, _ = await _validate(ValidateClosureForm(), "sudah", "affirm", ask)
    assert (slots["closure_fixed"], slots["closure_words"]) == (True, SKIPPED)
    assert "closure_rating" not in slots  # Rasa asks it next: the form's last empty slot
    slots, said = await _validate(ValidateClosureForm(), "halo mbak", "greet", ask)
    assert slots["closure_fixed"] is None and texts.CLOSURE_UNCLEAR in said
    rated = {
        **ask,
        "closure_fixed": True,
        "closure_words": SKIPPED,
        "requested_slot": "closure_rating",
    }
    slots, _ = await _validate(ValidateClosureForm(), "4", "nlu_fallback", rated)
    assert slots["closure_rating"] == 4


async def test_any_words_answer_the_staff_question() -> None:
    ask = {"answering_ticket": "KDR-1", "requested_slot": "staff_answer"}
    slots, _ = await _validate(
        ValidateStaffAnswerForm(), "depan masjid al huda", "inform_location", ask
    )
    assert slots["staff_answer"] == {"text": "depan masjid al huda"}


async def _run(
    action: Any, slots: Dict[str, Any]
) -> tuple[Dict[str, Any], List[Dict[str, Any]], List[str]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker("x", "nlu_fallback", slots=slots), domain())
    return slot_events(events), events, [m["text"] for m in dispatcher.messages]


async def _filed_ticket() -> str:
    form = {
        "service_code": "street_light",
        "description": "Lampu jalan mati di gang 3",
        "address_string": "gang 3",
        "account_id": f"whatsapp:p-{uuid.uuid4().hex}",
    }
    created = await Open311Client(get_settings()).create(form, uuid.uuid4().hex)
    return created.service_request_id


async def test_the_answer_reaches_the_ticket_and_the_citizen_is_told(action_env: Server) -> None:
    ticket = await _filed_ticket()
    answer = {"answering_ticket": ticket, "staff_answer": {"text": "Tiang PJU-17"}}
    slots, _, said = await _run(SubmitStaffAnswer(), answer)
    assert said == [texts.ANSWER_SENT.format(ticket=ticket)]
    assert slots == {"answering_ticket": None, "staff_answer": None}


async def test_an_answer_run_again_for_the_same_message_is_recorded_once(
    action_env: Server,
) -> None:
    ticket = await _filed_ticket()
    answer = {"answering_ticket": ticket, "staff_answer": {"text": "Tiang PJU-17"}}
    t = tracker("Tiang PJU-17", "inform", slots=answer)
    t.events[-1]["message_id"] = "SM-answer-1"
    for _ in range(2):  # Rasa running the action again, or another replica the message
        dispatcher = CollectingDispatcher()
        await SubmitStaffAnswer().run(dispatcher, t, domain())
        assert [m["text"] for m in dispatcher.messages] == [texts.ANSWER_SENT.format(ticket=ticket)]
    engine = create_engine(sync_url(action_env.database_url), future=True)
    with engine.connect() as conn:
        notes = conn.execute(
            select(ticket_events.c.note)
            .join(tickets, tickets.c.id == ticket_events.c.ticket_id)
            .where(tickets.c.service_request_id == ticket, ticket_events.c.kind == "answer")
        ).scalars()
        assert list(notes) == ["Tiang PJU-17"]
    engine.dispose()


async def test_a_backend_down_keeps_the_question_open(action_env: Server) -> None:
    down = get_settings().copy(update={"backend_url": f"http://127.0.0.1:{free_port()}"})
    answer = {"answering_ticket": "KDR-1", "staff_answer": {"text": "Tiang PJU-17"}}
    _, events, said = await _run(SubmitStaffAnswer(down), answer)
    assert "belum tersampaikan" in said[0]
    assert {"event": "active_loop", "name": "staff_answer_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    verdict_ = {"closing_ticket": "KDR-1", "closure_fixed": True, "closure_rating": 5}
    _, events, said = await _run(SubmitClosure(down), verdict_)
    assert "belum tersampaikan" in said[0]
    assert any(e.get("name") == "closure_form" for e in events)


async def test_a_verdict_the_backend_no_longer_waits_for_is_explained(action_env: Server) -> None:
    ticket = await _filed_ticket()  # open: nobody asked whether it is fixed
    verdict_ = {"closing_ticket": ticket, "closure_fixed": False, "closure_words": "masih mati"}
    slots, _, said = await _run(SubmitClosure(), verdict_)
    assert said == [texts.CLOSURE_CLOSED.format(ticket=ticket)]
    assert slots["closing_ticket"] is None


def _waiting(form: str, opened: float, slots: Dict[str, Any]) -> Any:
    opening = {"event": "active_loop", "name": form, "timestamp": opened}
    return tracker("x", "nlu_fallback", slots=slots, active_loop=form, events=[opening])


async def test_a_new_session_keeps_the_question_the_city_waits_on() -> None:
    waiting = {"answering_ticket": "KDR-1", "requested_slot": "staff_answer", "category": "road"}
    yesterday = time.time() - 86400
    t = _waiting("staff_answer_form", yesterday, waiting)
    events = await SessionStart().run(CollectingDispatcher(), t, domain())
    kinds = [e["event"] for e in events]
    assert kinds[0] == "session_started" and kinds[-1] == "action"
    assert {"event": "active_loop", "name": "staff_answer_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    assert slot_events(events) == {
        "answering_ticket": "KDR-1",
        "staff_answer": None,
        "requested_slot": "staff_answer",
    }
    # Nothing else is carried over: the complaint's slots start afresh.
    plain = tracker("x", "greet", slots=waiting)
    events = await SessionStart().run(CollectingDispatcher(), plain, domain())
    assert [e["event"] for e in events] == ["session_started", "action"]


@pytest.mark.parametrize("form, days", [("staff_answer_form", 8), ("closure_form", 4)])
async def test_a_question_past_its_wait_no_longer_takes_the_next_message(
    form: str, days: int
) -> None:
    slots = {"closing_ticket": "KDR-1", "requested_slot": "closure_fixed"}
    t = _waiting(form, time.time() - days * 86400, slots)
    events = await SessionStart().run(CollectingDispatcher(), t, domain())
    assert [e["event"] for e in events] == ["session_started", "action"]

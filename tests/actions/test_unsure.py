"""An unsure message that reads as a complaint is offered categories and
"laporkan saja", keeping the citizen's words; chit-chat gets the short answer
(actions/unsure.py)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.form import ValidateReportForm
from actions.unsure import Unsure, likely_categories, looks_like_complaint
from tests.actions.trackers import domain, entity, slot_events, tracker

RANKING = [
    {"name": "nlu_fallback", "confidence": 1.0},
    {"name": "report_social_aid", "confidence": 0.31},
    {"name": "report_health", "confidence": 0.29},
    {"name": "out_of_scope", "confidence": 0.2},
    {"name": "report_education", "confidence": 0.08},
    {"name": "report_water", "confidence": 0.01},
]


@pytest.mark.parametrize(
    "text",
    [
        "warga miskin tidak terima raskin beras kutu",
        "sdh 3 bln bantuan ibu sy blm cair jg pdhl terdaftar",
        "kulo badhe matur bilih griya kulo dereng angsal pitulungan saking pemerintah",
        "mohon ditindaklanjuti keluhan warga soal pungutan di sekolah anak kami",
    ],
)
def test_complaints_in_unfamiliar_words_are_not_dismissed(text: str) -> None:
    assert looks_like_complaint(text, [], RANKING)


@pytest.mark.parametrize(
    "text, top",
    [
        ("p", "greet"),
        ("halo min", "greet"),
        ("tes 123", "prank"),
        ("wkwkwk asdfgh", "prank"),
        ("lagi apa min udah makan", "greet"),
        ("🤣🤣🤣", "prank"),
    ],
)
def test_chit_chat_is_not_taken_for_a_complaint(text: str, top: str) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 1.0}, {"name": top, "confidence": 0.4}]
    assert not looks_like_complaint(text, [], ranking)


def test_a_place_or_a_programme_makes_a_short_message_a_complaint() -> None:
    assert looks_like_complaint("pkh ibu saya kapan", [entity("programme", "PKH")], RANKING)
    assert not looks_like_complaint("pkh kapan", [entity("programme", "PKH")], RANKING)


def test_the_likely_categories_come_from_the_ranking_most_likely_first() -> None:
    assert likely_categories(RANKING) == ["social_aid", "health", "education"]


async def _unsure(text: str, entities: List[Dict[str, Any]]) -> tuple[Dict[str, Any], Any]:
    dispatcher = CollectingDispatcher()
    t = tracker(text, "nlu_fallback", entities=entities)
    t.latest_message["intent_ranking"] = RANKING
    events = await Unsure().run(dispatcher, t, domain())
    return slot_events(events), dispatcher.messages


async def test_the_offer_keeps_the_words_and_the_place() -> None:
    text = "warga gang 5 tidak terima raskin beras kutu"
    slots, (message,) = await _unsure(text, [entity("location", "gang 5", 6, 12)])
    assert slots["unsure_text"] == text and slots["location"] == "gang 5"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[-1] == '/choose_category{"category":"other"}'
    assert "Laporkan saja" in message["buttons"][-1]["title"]
    assert len(payloads) == 4  # three likely categories, then "laporkan saja"


async def test_chit_chat_gets_the_rephrase_menu_and_keeps_nothing() -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("halo min", "nlu_fallback")
    t.latest_message["intent_ranking"] = [{"name": "greet", "confidence": 0.4}]
    assert await Unsure().run(dispatcher, t, domain()) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_ask_rephrase"]


async def test_a_category_chosen_from_the_offer_takes_the_kept_words() -> None:
    kept = "warga miskin tidak terima raskin beras kutu"
    offer = [
        {"event": "action", "name": "action_unsure"},
        {"event": "action", "name": "action_listen"},
    ]
    slots = {"unsure_text": kept, "requested_slot": None}
    t = tracker(
        '/choose_category{"category":"other"}', "choose_category",
        entities=[entity("category", "other")], slots=slots, events=offer,
        active_loop="report_form",
    )  # fmt: skip
    events = await ValidateReportForm().run(CollectingDispatcher(), t, domain())
    assert slot_events(events)["description"] == kept
    assert slot_events(events)["category"] == "other"
    # Long after the offer, a category button does not reuse the old words.
    stale = [{"event": "action", "name": "action_ask_category"}, *offer[1:]]
    t = tracker(
        '/choose_category{"category":"road"}', "choose_category",
        entities=[entity("category", "road")], slots=slots, events=stale,
        active_loop="report_form",
    )  # fmt: skip
    events = await ValidateReportForm().run(CollectingDispatcher(), t, domain())
    assert "description" not in slot_events(events)

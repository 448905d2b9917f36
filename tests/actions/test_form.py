from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.form import ValidateReportForm, is_skip
from actions.prompts import AskConfirmed
from actions.report import SKIPPED
from tests.actions.trackers import domain, entity, tracker

OPENING = "lampu jalan di gang 3 Bandar Lor mati"
# Inside kelurahan Setonogedong; the second point is in Kabupaten Kediri.
PIN_IN = {"latitude": -7.816731, "longitude": 112.012012}
PIN_OUT = {"latitude": -7.70, "longitude": 112.10}


async def run_form(t: Any) -> tuple[List[Dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await ValidateReportForm().run(dispatcher, t, domain())
    return events, dispatcher


async def test_opening_message_fills_category_place_and_description() -> None:
    t = tracker(
        OPENING,
        "report_street_light",
        entities=[entity("location", "gang 3", 15, 21), entity("kelurahan", "Bandar Lor", 22, 32)],
    )
    events, _ = await run_form(t)
    assert {e["name"]: e["value"] for e in events} == {
        "category": "street_light",
        "location": "gang 3",
        "kelurahan": "Bandar Lor",
        "kelurahan_code": "35.71.01.1001",
        "latitude": None,
        "longitude": None,
        "description": OPENING,
    }


async def test_button_payload_sets_category_but_no_description() -> None:
    t = tracker(
        '/choose_category{"category":"water"}',
        "choose_category",
        entities=[entity("category", "water")],
    )
    events, _ = await run_form(t)
    assert [(e["name"], e["value"]) for e in events] == [("category", "water")]


async def test_typed_location_keeps_the_words_and_finds_the_kelurahan() -> None:
    t = tracker(
        "depan masjid agung kel. kemasan",
        "inform_location",
        slots={"category": "waste", "details": True, "requested_slot": "location"},
    )
    events, _ = await run_form(t)
    slots = {e["name"]: e["value"] for e in events}
    assert slots["location"] == "depan masjid agung kel. kemasan"
    assert (slots["kelurahan"], slots["kelurahan_code"]) == ("Kemasan", "35.71.02.1010")


async def test_shared_pin_resolves_the_kelurahan_by_polygon() -> None:
    t = tracker(
        "",
        "share_location",
        metadata={"location": PIN_IN},
        slots={"category": "road", "details": True, "requested_slot": "location"},
    )
    events, dispatcher = await run_form(t)
    slots = {e["name"]: e["value"] for e in events}
    assert slots["kelurahan"] == "Setonogedong"
    assert (slots["latitude"], slots["longitude"]) == (-7.816731, 112.012012)
    assert "Setonogedong" in dispatcher.messages[0]["text"]


async def test_pin_outside_the_city_is_refused_honestly() -> None:
    t = tracker(
        "",
        "share_location",
        entities=[
            entity("latitude", PIN_OUT["latitude"]),
            entity("longitude", PIN_OUT["longitude"]),
        ],
        slots={"category": "road", "details": True, "requested_slot": "location"},
    )
    events, dispatcher = await run_form(t)
    assert [e for e in events if e["name"] != "requested_slot"] == []
    assert "di luar Kota Kediri" in dispatcher.messages[0]["text"]


async def test_an_emergency_is_not_taken_as_an_answer() -> None:
    t = tracker(
        "tolong ada kebakaran di jl dhoho",
        "emergency_fire",
        entities=[entity("location", "jl dhoho")],
        slots={"category": "road", "details": True, "requested_slot": "location"},
    )
    events, _ = await run_form(t)
    assert events == []  # nothing extracted: Rasa rejects the form and rules take over


async def test_a_later_place_does_not_overwrite_the_given_one() -> None:
    t = tracker(
        "sudah seminggu, dekat sekolah",
        "report_education",
        entities=[entity("location", "dekat sekolah")],
        slots={
            "category": "road",
            "details": True,
            "location": "jl. kawi",
            "requested_slot": "description",
        },
    )
    events, _ = await run_form(t)
    assert {e["name"]: e["value"] for e in events} == {
        "description": "sudah seminggu, dekat sekolah"
    }


async def test_photo_step_skip_and_photo() -> None:
    base = {
        "category": "road",
        "details": True,
        "location": "jl. kawi",
        "description": "lubang besar",
        "requested_slot": "photo",
    }
    events, _ = await run_form(tracker("lewati", "deny", slots=base))
    assert {e["name"]: e["value"] for e in events} == {"photo": SKIPPED}
    stored = "http://localhost:8000/media/" + "ab" * 16  # the backend's, by default settings
    media = {"media_urls": [stored]}
    events, _ = await run_form(tracker("", "share_photo", slots=base, metadata=media))
    assert {e["name"]: e["value"] for e in events} == {"photo": stored}


@pytest.mark.parametrize(
    "url",
    [
        "http://attacker.example/media/" + "ab" * 16,
        "http://localhost:8000/media/abc.jpg",
        "http://localhost:8000/media/" + "ab" * 16 + "?next=http://attacker.example",
        "javascript:alert(1)",
    ],
)
async def test_only_photos_the_backend_stored_are_attached(url: str) -> None:
    base = {
        "category": "road",
        "details": True,
        "location": "jl. kawi",
        "description": "lubang besar",
    }
    slots = {**base, "requested_slot": "photo"}
    events, _ = await run_form(
        tracker("", "share_photo", slots=slots, metadata={"media_urls": [url]})
    )
    assert "photo" not in {e["name"] for e in events}


async def test_more_text_at_the_photo_step_joins_the_description() -> None:
    t = tracker(
        "lubangnya dalam sekali",
        "report_road",
        slots={
            "category": "road",
            "details": True,
            "location": "jl. kawi",
            "description": "jalan berlubang",
            "requested_slot": "photo",
        },
    )
    events, _ = await run_form(t)
    assert {e["name"]: e["value"] for e in events} == {
        "photo": SKIPPED,
        "description": "jalan berlubang. lubangnya dalam sekali",
    }


FULL = {
    "category": "road",
    "details": True,
    "location": "jl. kawi",
    "description": "lubang besar",
    "photo": SKIPPED,
    "requested_slot": "confirmed",
}


async def test_yes_confirms() -> None:
    events, _ = await run_form(tracker("ya", "affirm", slots=FULL))
    assert {e["name"]: e["value"] for e in events} == {"confirmed": True}


async def test_no_asks_which_part_is_wrong() -> None:
    events, _ = await run_form(tracker("bukan", "deny", slots=FULL))
    slots = {e["name"]: e["value"] for e in events}
    assert slots == {"confirmed": None, "correcting": True, "requested_slot": "fix_field"}


async def test_no_with_the_fix_applies_it_and_asks_again() -> None:
    t = tracker(
        "bukan, di jl. dhoho", "deny", entities=[entity("location", "jl. dhoho")], slots=FULL
    )
    events, _ = await run_form(t)
    slots = {e["name"]: e["value"] for e in events}
    assert slots["location"] == "jl. dhoho"
    assert slots["confirmed"] is None
    assert "correcting" not in slots


async def test_choosing_the_field_clears_it() -> None:
    t = tracker(
        "2", "nlu_fallback", slots={**FULL, "correcting": True, "requested_slot": "fix_field"}
    )
    events, _ = await run_form(t)
    slots = {e["name"]: e["value"] for e in events}
    assert slots["location"] is None and slots["kelurahan"] is None
    assert slots["correcting"] is False
    # Back to the form's own order: Rasa asks the first empty slot, the location.
    assert "requested_slot" not in slots


async def test_summary_shows_every_field() -> None:
    slots = {**FULL, "kelurahan": "Bandar Lor", "kelurahan_code": "35.71.01.1001"}
    dispatcher = CollectingDispatcher()
    await AskConfirmed().run(dispatcher, tracker("", "deny", slots=slots), domain())
    text = dispatcher.messages[0]["text"]
    assert "Jalan, jembatan, trotoar rusak" in text
    assert "jl. kawi, Kel. Bandar Lor" in text
    assert "lubang besar" in text and "tidak ada" in text
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]


@pytest.mark.parametrize(
    ("text", "skip"),
    [
        ("lewati", True),
        ("ra ono foto", True),
        ("gak ada", True),
        ("tidak", True),
        ("skip aja", True),
        ("fotonya nanti saya kirim sore", False),
        ("lubangnya dalam, sudah ada yang jatuh dua kali kemarin", False),
    ],
)
def test_photo_skip_answers(text: str, skip: bool) -> None:
    assert is_skip(text) is skip


async def test_a_place_given_before_the_problem_is_kept_for_the_report() -> None:
    from actions.prompts import RememberLocation

    dispatcher = CollectingDispatcher()
    t = tracker(
        "ngarep pasar bandar kel bandarlor",
        "inform_location",
        entities=[entity("location", "ngarep pasar bandar"), entity("kelurahan", "Bandar Lor")],
    )
    events = await RememberLocation().run(dispatcher, t, domain())
    slots = {e["name"]: e["value"] for e in events}
    assert (slots["location"], slots["kelurahan"]) == ("ngarep pasar bandar", "Bandar Lor")
    assert dispatcher.messages[0]["response"] == "utter_location_without_problem"
    # The report that follows starts with the place: the form does not ask again.
    t = tracker("dalane growong", "report_road", slots=slots)
    events, _ = await run_form(t)
    assert {e["name"]: e["value"] for e in events} == {
        "category": "road",
        "details": True,
        "description": "dalane growong",
    }


async def test_a_pole_number_far_from_the_street_is_not_glued_to_it() -> None:
    text = "lampu jalan di gang 3 Bandar Lor mati sejak kemarin, tiang nomor 17"
    t = tracker(
        text,
        "report_street_light",
        entities=[
            entity("location", "gang 3", 15, 21),
            entity("kelurahan", "Bandar Lor", 22, 32),
            entity("location", "17", 66, 68),  # a model's stray tag
            entity("pole_number", "17", 66, 68),
        ],
    )
    events, _ = await run_form(t)
    assert {e["name"]: e["value"] for e in events}["location"] == "gang 3"


async def test_the_rt_rw_travels_with_the_street() -> None:
    text = "sampah numpuk di gang kenanga rt 03 rw 01 sukorame"
    t = tracker(
        text,
        "report_waste",
        entities=[
            entity("location", "gang kenanga", 17, 29),
            entity("rt_rw", "rt 03 rw 01", 30, 41),
            entity("kelurahan", "Sukorame", 42, 50),
        ],
    )
    events, _ = await run_form(t)
    found = {e["name"]: e["value"] for e in events}
    assert (found["location"], found["kelurahan"]) == ("gang kenanga, rt 03 rw 01", "Sukorame")


async def test_a_facility_named_after_its_kelurahan_gives_the_place_and_kelurahan() -> None:
    text = "antri di puskesmas Sukorame sampai 4 jam"
    t = tracker(text, "report_health", entities=[entity("facility", "puskesmas Sukorame", 9, 27)])
    events, _ = await run_form(t)
    found = {e["name"]: e["value"] for e in events}
    # Spelled as the shipped list spells it (data/places/facilities.yml).
    assert (found["location"], found["kelurahan"]) == ("Puskesmas Sukorame", "Sukorame")


async def test_a_bare_word_tagged_as_a_place_gives_way_to_the_street() -> None:
    text = "jalan berlubang besar di jl. kawi, sudah seminggu"
    t = tracker(
        text,
        "report_road",
        entities=[entity("location", "jalan", 0, 5), entity("location", "jl. kawi", 26, 34)],
    )
    events, _ = await run_form(t)
    assert {e["name"]: e["value"] for e in events}["location"] == "jl. kawi"


async def test_a_kelurahan_the_model_did_not_tag_is_read_from_the_words() -> None:
    t = tracker(
        "bangsal rt 02 rw 05",
        "inform_location",
        entities=[entity("rt_rw", "rt 02 rw 05", 8, 19)],
        slots={"category": "social_aid", "requested_slot": "location"},
    )
    events, _ = await run_form(t)
    found = {e["name"]: e["value"] for e in events}
    assert (found["location"], found["kelurahan"]) == ("rt 02 rw 05", "Bangsal")

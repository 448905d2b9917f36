from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.emergency import Emergency, EmergencyRecorded, ValidateEmergencyForm
from tests.actions.trackers import domain, entity, slot_events, tracker


async def test_emergency_answers_with_the_call_instruction_first() -> None:
    dispatcher = CollectingDispatcher()
    t = tracker(
        "KEBAKARAN di jl dhoho tolong", "emergency_fire", entities=[entity("location", "jl dhoho")]
    )
    events = await Emergency().run(dispatcher, t, domain())
    first = dispatcher.messages[0]
    assert "112" in first["text"] and "tel:112" in first["text"]
    assert first["custom"] == {"data": {"type": "call", "label": "Telepon 112", "href": "tel:112"}}
    assert "Kebakaran" in dispatcher.messages[1]["text"]
    assert slot_events(events) == {
        "emergency_type": "emergency_fire",
        "emergency_location": "jl dhoho",
    }


async def test_emergency_without_place_leaves_it_to_the_form() -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("tolong!!", "emergency_medical", slots={"emergency_location": "jl lama"})
    events = await Emergency().run(dispatcher, t, domain())
    # A place from an earlier emergency is not taken for this one.
    assert slot_events(events) == {
        "emergency_type": "emergency_medical",
        "emergency_location": None,
    }


async def test_emergency_form_takes_a_typed_place() -> None:
    t = tracker(
        "depan pasar setonobetek kel kemasan",
        "inform_location",
        slots={"requested_slot": "emergency_location"},
    )
    events = await ValidateEmergencyForm().run(CollectingDispatcher(), t, domain())
    assert slot_events(events) == {"emergency_location": "depan pasar setonobetek kel kemasan"}


async def test_emergency_form_ignores_a_prank() -> None:
    t = tracker("wkwkwk", "prank", slots={"requested_slot": "emergency_location"})
    assert await ValidateEmergencyForm().run(CollectingDispatcher(), t, domain()) == []


async def test_the_place_is_handed_to_the_caller_and_kept_not_claimed_as_recorded() -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("jl dhoho", "inform_location", slots={"emergency_location": "jl dhoho"})
    events = await EmergencyRecorded().run(dispatcher, t, domain())
    assert dispatcher.messages[0]["response"] == "utter_emergency_tell_operator"
    assert dispatcher.messages[0]["where"] == "jl dhoho"
    assert "tel:112" in dispatcher.messages[1]["text"]
    # The place stays in the conversation (nothing else stores it yet).
    assert slot_events(events) == {}
    (text,) = domain()["responses"]["utter_emergency_tell_operator"]
    assert "sampaikan lokasi ini kepada petugas 112" in text["text"]
    assert "catat" not in text["text"]


async def test_a_pin_outside_a_report_is_located_or_refused_honestly() -> None:
    from actions.prompts import LocationReceived

    inside = CollectingDispatcher()
    t = tracker(
        "",
        "share_location",
        metadata={"location": {"latitude": -7.816731, "longitude": 112.012012}},
    )
    await LocationReceived().run(inside, t, domain())
    assert "Setonogedong" in inside.messages[0]["text"]
    outside = CollectingDispatcher()
    t = tracker(
        "", "share_location", entities=[entity("latitude", -7.2575), entity("longitude", 112.7521)]
    )
    await LocationReceived().run(outside, t, domain())
    assert "di luar Kota Kediri" in outside.messages[0]["text"]

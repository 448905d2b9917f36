"""The emergency actions without a backend that answers (tests/actions/test_incidents.py has one).

The citizen's first line is always the 112 call instruction, and nothing the
bot says claims more than what happened to the incident.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import AsyncIterator

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.emergency import (
    AllClear,
    Emergency,
    EmergencyRecorded,
    ValidateEmergencyForm,
)
from actions.incidents import IncidentQueue
from actions.settings import ActionSettings
from tests.actions.trackers import domain, entity, slot_events, tracker
from tests.servers import free_port

CALL = {"data": {"type": "call", "label": "Telepon 112", "href": "tel:112"}}
KEY = "f" * 64


@pytest.fixture
def down(tmp_path: Path) -> ActionSettings:
    """Nobody listens where the backend should be; the outbox is this test's own."""
    return ActionSettings.load(
        backend_url=f"http://127.0.0.1:{free_port()}",
        outbox_url=f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
    )


@pytest.fixture
async def silent(tmp_path: Path) -> AsyncIterator[ActionSettings]:
    """A backend that takes the connection and never answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield ActionSettings.load(
        backend_url=f"http://127.0.0.1:{port}",
        outbox_url=f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
        incident_timeout=0.5,
    )
    server.close()
    await server.wait_closed()


async def _pending(settings: ActionSettings) -> int:
    queue = IncidentQueue.shared(settings.outbox_url)
    try:
        return await queue.pending()
    finally:
        await queue.close()


async def test_emergency_answers_with_the_call_instruction_first(down: ActionSettings) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker(
        "KEBAKARAN di jl dhoho tolong", "emergency_fire", entities=[entity("location", "jl dhoho")]
    )
    events = await Emergency(down).run(dispatcher, t, domain())
    first, advice, status = dispatcher.messages
    assert "112" in first["text"] and "tel:112" in first["text"]
    assert first["custom"] == CALL
    assert "Kebakaran" in advice["text"]
    # The backend is down: the incident is kept, and the citizen told to call now.
    assert status["text"] == texts.INCIDENT_KEPT
    slots = slot_events(events)
    assert slots["emergency_type"] == "emergency_fire"
    assert slots["emergency_location"] == "jl dhoho"
    assert len(slots["incident_key"]) == 64
    assert slots["incident_location"] == "queued"  # the place went with the kept incident
    assert await _pending(down) == 1


async def test_emergency_without_place_leaves_it_to_the_form(down: ActionSettings) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("tolong!!", "emergency_medical", slots={"emergency_location": "jl lama"})
    events = await Emergency(down).run(dispatcher, t, domain())
    slots = slot_events(events)
    # A place from an earlier emergency is not taken for this one.
    assert slots["emergency_type"] == "emergency_medical"
    assert slots["emergency_location"] is None
    assert slots["incident_location"] is None


async def test_a_silent_backend_does_not_hold_back_the_call_instruction(
    silent: ActionSettings,
) -> None:
    dispatcher = CollectingDispatcher()
    started = time.monotonic()
    await Emergency(silent).run(
        dispatcher, tracker("tolong ada orang pingsan", "emergency_medical"), domain()
    )
    # The turn's messages leave together: the wait for the backend is bounded.
    assert time.monotonic() - started < 3
    assert dispatcher.messages[0]["custom"] == CALL
    assert dispatcher.messages[-1]["text"] == texts.INCIDENT_KEPT
    assert await _pending(silent) == 1


async def test_emergency_form_takes_a_typed_place() -> None:
    t = tracker(
        "depan pasar setonobetek kel kemasan",
        "inform_location",
        slots={"requested_slot": "emergency_location"},
    )
    events = await ValidateEmergencyForm().run(CollectingDispatcher(), t, domain())
    assert slot_events(events) == {"emergency_location": "depan pasar setonobetek kel kemasan"}


async def test_emergency_form_takes_a_shared_pin() -> None:
    t = tracker(
        "",
        "share_location",
        slots={"requested_slot": "emergency_location"},
        metadata={"location": {"latitude": -7.816731, "longitude": 112.012012}},
    )
    events = await ValidateEmergencyForm().run(CollectingDispatcher(), t, domain())
    assert slot_events(events) == {"emergency_location": "-7.81673, 112.01201 (Kel. Setonogedong)"}


async def test_emergency_form_ignores_a_prank() -> None:
    t = tracker("wkwkwk", "prank", slots={"requested_slot": "emergency_location"})
    assert await ValidateEmergencyForm().run(CollectingDispatcher(), t, domain()) == []


async def test_a_place_no_incident_took_is_handed_to_the_caller_not_claimed(
    down: ActionSettings,
) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("jl dhoho", "inform_location", slots={"emergency_location": "jl dhoho"})
    events = await EmergencyRecorded(down).run(dispatcher, t, domain())
    assert dispatcher.messages[0]["response"] == "utter_emergency_tell_operator"
    assert dispatcher.messages[0]["where"] == "jl dhoho"
    assert "tel:112" in dispatcher.messages[1]["text"]
    assert slot_events(events) == {"incident_location": None}
    (text,) = domain()["responses"]["utter_emergency_tell_operator"]
    assert "sampaikan lokasi ini kepada petugas 112" in text["text"]
    assert "catat" not in text["text"]
    assert await _pending(down) == 0


async def test_a_place_for_an_incident_is_kept_while_the_backend_is_down(
    down: ActionSettings,
) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"emergency_location": "gang 3 Bandar Lor", "incident_key": KEY}
    t = tracker("gang 3 bandar lor", "inform_location", slots=slots)
    events = await EmergencyRecorded(down).run(dispatcher, t, domain())
    assert dispatcher.messages[0]["text"] == texts.PLACE_KEPT.format(where="gang 3 Bandar Lor")
    assert "tel:112" in dispatcher.messages[1]["text"]
    assert slot_events(events) == {"incident_location": "queued"}
    assert await _pending(down) == 1


async def test_saying_it_is_over_without_an_incident_claims_nothing(down: ActionSettings) -> None:
    dispatcher = CollectingDispatcher()
    await AllClear(down).run(dispatcher, tracker("salah kirim", "all_clear"), domain())
    (message,) = dispatcher.messages
    assert message["text"] == texts.OVER_NO_INCIDENT
    assert "diteruskan" not in message["text"] and "catat" not in message["text"]
    assert await _pending(down) == 0


async def test_saying_it_is_over_is_kept_for_the_officer_while_the_backend_is_down(
    down: ActionSettings,
) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("apine wis mati", "all_clear", slots={"incident_key": KEY})
    assert await AllClear(down).run(dispatcher, t, domain()) == []
    (message,) = dispatcher.messages
    assert message["text"] == texts.OVER_KEPT
    assert "tetap terbuka" in message["text"] and "112" in message["text"]
    assert await _pending(down) == 1


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

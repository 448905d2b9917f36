from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional

import aiohttp
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.backend_client import Open311Client
from actions.outbox import Outbox
from actions.report import SKIPPED
from actions.settings import ActionSettings, get_settings
from actions.submit import SubmitReport
from tests.actions.trackers import domain, slot_events, tracker
from tests.servers import Server, free_port

FORM_STARTED = {"event": "active_loop", "name": "report_form"}
REPORT = {
    "category": "street_light",
    "location": "gang 3",
    "kelurahan": "Bandar Lor",
    "kelurahan_code": "35.71.01.1001",
    "description": "lampu jalan di gang 3 Bandar Lor mati",
    "photo": SKIPPED,
    "confirmed": True,
}


def _sender() -> str:
    return f"whatsapp:+62812{uuid.uuid4().int % 10**8:08d}"


async def _submit(
    slots: Dict[str, Any],
    sender: str,
    started: float = 1700000000.5,
    settings: Optional[ActionSettings] = None,
) -> tuple[List[Dict[str, Any]], List[str]]:
    dispatcher = CollectingDispatcher()
    form_started = {**FORM_STARTED, "timestamp": started}
    t = tracker("ya", "affirm", slots=slots, sender_id=sender, events=[form_started])
    events = await SubmitReport(settings).run(dispatcher, t, domain())
    return events, [m["text"] for m in dispatcher.messages]


async def _public_ticket(backend: Server, ticket: str) -> Dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{backend.url}/open311/v2/requests/{ticket}.json",
            params={"api_key": "test-api-key"},
        ) as response,
    ):
        return (await response.json())[0]


async def test_confirmed_report_becomes_a_ticket(action_env: Server) -> None:
    sender = _sender()
    events, messages = await _submit(REPORT, sender)
    ticket = slot_events(events)["last_ticket"]
    assert ticket.startswith("KDR-")
    # Every report slot is cleared for the next report.
    assert slot_events(events)["category"] is None and slot_events(events)["confirmed"] is None
    (text,) = messages
    assert ticket in text and "Dinas Perhubungan" in text and "Perkiraan selesai" in text
    stored = await _public_ticket(action_env, ticket)
    assert stored["address"] == "gang 3, Kel. Bandar Lor"
    assert stored["kelurahan"] == "Bandar Lor"
    assert stored["service_code"] == "street_light"
    assert stored["description"] == REPORT["description"]


async def test_submitting_twice_files_one_ticket(action_env: Server) -> None:
    sender = _sender()
    first, _ = await _submit(REPORT, sender)
    again, _ = await _submit(REPORT, sender)
    assert slot_events(first)["last_ticket"] == slot_events(again)["last_ticket"]


@pytest.mark.parametrize("missing", ["category", "description", "location"])
async def test_incomplete_report_files_nothing(action_env: Server, missing: str) -> None:
    slots = {**REPORT, missing: None}
    if missing == "location":
        slots["kelurahan"] = None
    events, messages = await _submit(slots, _sender())
    assert "last_ticket" not in slot_events(events)
    assert messages == [
        "Mohon maaf, laporan belum lengkap (kategori, lokasi dan keterangan wajib diisi)."
    ]


async def test_unreachable_backend_keeps_the_report_and_files_it_later(
    action_env: Server,
) -> None:
    settings = get_settings()
    nobody = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    down = settings.copy(update={"backend_url": nobody})
    sender = _sender()
    events, messages = await _submit(REPORT, sender, settings=down)
    assert "last_ticket" not in slot_events(events)
    assert "sudah kami simpan" in messages[0]
    outbox = Outbox.shared(settings.outbox_url)
    assert await outbox.pending() == 1

    told: List[tuple[str, str]] = []

    class Notifier:
        async def report_filed(self, to: str, ticket: str) -> None:
            told.append((to, ticket))

        async def report_not_filed(self, to: str, reason: Optional[str]) -> None:
            raise AssertionError("the report was filed")

    # The backend is back: the outbox files the report once, and says so.
    assert await outbox.flush(Open311Client(settings), Notifier()) == 1
    assert await outbox.flush(Open311Client(settings), Notifier()) == 0
    assert await outbox.pending() == 0
    ((to, ticket),) = told
    assert to == sender
    stored = await _public_ticket(action_env, ticket)
    assert stored["description"] == REPORT["description"]
    await outbox.close()


async def test_a_refused_report_is_told_in_indonesian_and_nothing_is_filed(
    action_env: Server,
) -> None:
    sender = _sender()
    await _submit(REPORT, sender)
    # The same form start (the same key) with other words: the backend's 409.
    changed = {**REPORT, "description": "lampu jalan di gang 4 mati"}
    events, messages = await _submit(changed, sender)
    assert "last_ticket" not in slot_events(events)
    assert messages == [texts.REJECTED]
    assert "Idempotency" not in messages[0]


async def test_rate_limit_is_explained(action_env: Server) -> None:
    sender = _sender()
    # Five different reports (five form starts): the backend's hourly limit.
    for n in range(5):
        events, _ = await _submit(REPORT, sender, started=1700000000.0 + n)
        assert "last_ticket" in slot_events(events)
    events, messages = await _submit(REPORT, sender, started=1700000099.0)
    assert "last_ticket" not in slot_events(events)
    assert "sudah banyak laporan" in messages[0]


async def test_answers_are_filed_as_open311_attributes_and_a_second_problem_offered(
    action_env: Server,
) -> None:
    water = {
        **REPORT,
        "category": "water",
        "description": "air pdam mati dan selokan mampet",
        "attributes": {"customer_number": "01.02.03456"},
        "details": True,
        "other_problem": {"category": "drainage", "description": "selokan mampet"},
    }
    dispatcher = CollectingDispatcher()
    t = tracker("ya", "affirm", slots=water, sender_id=_sender(), events=[FORM_STARTED])
    events = await SubmitReport().run(dispatcher, t, domain())
    # The backend refuses an attribute the service does not define: filed means accepted.
    stored = await _public_ticket(action_env, slot_events(events)["last_ticket"])
    assert stored["service_code"] == "water"
    offer = dispatcher.messages[-1]
    assert "saluran air" in offer["text"]
    assert offer["buttons"][0]["payload"] == '/choose_category{"category":"drainage"}'
    carried = slot_events(events)["other_problem"]
    assert (carried["location"], carried["kelurahan"]) == ("gang 3", "Bandar Lor")

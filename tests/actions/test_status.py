from __future__ import annotations

import uuid

import aiohttp
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.status import CheckStatus, ticket_number
from tests.actions.trackers import domain, entity, tracker
from tests.servers import Server


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cek KDR-2026-000123", "KDR-2026-000123"),
        ("no tiket kdr 2026 123 gmn", "KDR-2026-000123"),
        ("KDR/2025/4512", "KDR-2025-004512"),
        ("kdr2026000564", "KDR-2026-000564"),
        ("laporan saya gimana", None),
    ],
)
def test_ticket_numbers_as_people_type_them(text: str, expected: str) -> None:
    assert ticket_number(text) == expected


async def _file(backend: Server, account: str, description: str) -> str:
    form = {
        "api_key": "test-api-key",
        "service_code": "water",
        "description": description,
        "address_string": "jl. kawi",
        "account_id": account,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{backend.url}/open311/v2/requests.json", data=form) as response,
    ):
        return str((await response.json())[0]["service_request_id"])


async def _ask(text: str, sender: str, entities=None) -> str:
    dispatcher = CollectingDispatcher()
    await CheckStatus().run(
        dispatcher, tracker(text, "check_status", entities=entities, sender_id=sender), domain()
    )
    (message,) = dispatcher.messages
    return str(message["text"])


async def test_status_by_ticket_number(action_env: Server) -> None:
    ticket = await _file(action_env, "web:someone", "air mati")
    number = ticket.split("-")[-1].lstrip("0")
    text = await _ask(f"cek kdr {ticket.split('-')[1]} {number}", "web:other")
    assert ticket in text
    assert "Diterima, menunggu verifikasi" in text
    assert "Perumda Air Minum" in text


async def test_status_by_entity(action_env: Server) -> None:
    ticket = await _file(action_env, "web:someone", "air keruh")
    text = await _ask("gimana ini", "web:x", entities=[entity("ticket_id", ticket)])
    assert ticket in text


async def test_unknown_ticket(action_env: Server) -> None:
    text = await _ask("cek KDR-2026-999999", "web:x")
    assert "tidak kami temukan" in text and "KDR-2026-999999" in text


async def test_my_reports_lists_the_senders_latest(action_env: Server) -> None:
    sender = f"web:{uuid.uuid4().hex}"
    first = await _file(action_env, sender, "air mati")
    second = await _file(action_env, sender, "air keruh")
    await _file(action_env, "web:somebody-else", "bukan punya saya")
    text = await _ask("laporan saya gimana", sender)
    assert second in text and first in text
    assert text.index(second) < text.index(first)  # newest first


async def test_no_reports_yet(action_env: Server) -> None:
    text = await _ask("laporan saya", f"web:{uuid.uuid4().hex}")
    assert "Belum ada laporan" in text

"""Which question staff still wait on (backend/asking.py): the last one not
answered, while its wait lasts; asking a reporter without a chat is refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from backend import asking
from backend.tables import notifications, ticket_events
from backend.tickets import Event
from lapor.db import create_engine
from tests.backend.console.test_tickets import file_ticket, query

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
WEEK = timedelta(days=7)


def said(kind: str, hours: int) -> Event:
    return Event("diproses", f"{kind} {hours}", "x", T0 + timedelta(hours=hours), kind=kind)


def test_the_last_unanswered_question_is_waited_on_until_its_wait_ends() -> None:
    asked = [said("status", 0), said("question", 1), said("answer", 2), said("question", 3)]
    assert asking.waiting_question(asked, T0 + timedelta(hours=4), WEEK) == asked[-1]
    assert asking.waiting_question(asked, T0 + timedelta(hours=3) + WEEK, WEEK) == asked[-1]
    assert asking.waiting_question(asked, T0 + timedelta(hours=4) + WEEK, WEEK) is None
    assert asking.waiting_question(asked[:3], T0 + timedelta(hours=4), WEEK) is None
    assert asking.waiting_question([said("status", 0)], T0, WEEK) is None


async def test_a_reporter_without_a_chat_cannot_be_asked(database_url: str) -> None:
    report = await file_ticket(database_url, phone=None)
    engine = create_engine(database_url)
    try:
        with pytest.raises(asking.CannotReach):
            await asking.ask(
                engine, report.service_request_id, "Di mana?", actor="Sari", department=None
            )
    finally:
        await engine.dispose()
    assert [e.kind for e in await query(database_url, select(ticket_events))] == ["status"]
    assert await query(database_url, select(notifications)) == []

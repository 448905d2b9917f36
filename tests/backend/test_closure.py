"""The reporter confirms the fix (backend/closure.py): marking a ticket done asks
them, with the clock the test moves; no answer in closure_wait_days leaves it
done; the verdicts and ratings are counted per department."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator, List, Optional

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import closure, notify, tickets, workflow
from backend.tables import notifications, ticket_events
from backend.tables import tickets as ticket_table
from backend.tickets import NewTicket
from lapor import waits
from lapor.catalogue import load_catalogue
from lapor.db import create_engine
from lapor.paths import SERVICES_FILE

CATALOGUE = load_catalogue(SERVICES_FILE)
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
WAIT = waits.load().closure


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def finished(
    engine: AsyncEngine, code: str = "street_light", phone: Optional[str] = "+6281234567890"
) -> tickets.Ticket:
    new = NewTicket(
        service=CATALOGUE.service(code),
        description="lampu mati",
        address="gang 3",
        channel="whatsapp" if phone else "open311",
        phone=phone,
        account_id="whatsapp:p-1" if phone else None,
    )
    ticket = (await tickets.create_ticket(engine, new, now=T0)).ticket
    return await tickets.change_status(
        engine, ticket.service_request_id, workflow.DONE, note="Sudah diganti",
        actor="uji", department=None, now=T0 + timedelta(hours=5),
    )  # fmt: skip


async def purposes(engine: AsyncEngine) -> List[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(notifications.c.purpose).order_by(notifications.c.id))
        return list(rows.scalars())


async def test_marking_done_asks_the_reporter_and_waits(engine: AsyncEngine) -> None:
    ticket = await finished(engine)
    assert ticket.closure_state == closure.WAITING
    assert await purposes(engine) == [notify.CLOSURE_CHECK]


async def test_a_reporter_without_a_chat_is_not_asked(engine: AsyncEngine) -> None:
    ticket = await finished(engine, phone=None)
    assert ticket.closure_state is None
    assert await purposes(engine) == []


async def test_no_answer_in_time_leaves_the_ticket_done(engine: AsyncEngine) -> None:
    ticket = await finished(engine)
    asked = T0 + timedelta(hours=5)
    assert await closure.expire_waiting(engine, WAIT, now=asked + WAIT - timedelta(minutes=1)) == 0
    assert await closure.expire_waiting(engine, WAIT, now=asked + WAIT) == 1
    assert await closure.expire_waiting(engine, WAIT, now=asked + 2 * WAIT) == 0  # once
    async with engine.connect() as conn:
        row = (await conn.execute(select(ticket_table).where(ticket_table.c.id == ticket.id))).one()
        notes = (
            await conn.execute(
                select(ticket_events.c.note).where(ticket_events.c.kind == closure.CLOSURE)
            )
        ).scalars()
        assert (row.closure_state, row.workflow_status) == (closure.EXPIRED, workflow.DONE)
        assert [f"dalam {WAIT.days} hari" in note for note in notes] == [True]
    with pytest.raises(closure.ClosureNotOpen):
        await closure.record_verdict(engine, ticket.service_request_id, fixed=False, words="x")


async def test_reopening_by_staff_ends_the_wait(engine: AsyncEngine) -> None:
    ticket = await finished(engine)
    moved = await tickets.change_status(
        engine, ticket.service_request_id, workflow.IN_PROGRESS, note=None,
        actor="uji", department=None,
    )  # fmt: skip
    assert moved.closure_state is None
    with pytest.raises(closure.ClosureNotOpen):
        await closure.record_verdict(engine, ticket.service_request_id, fixed=True)


async def test_verdicts_and_ratings_are_counted_per_department(engine: AsyncEngine) -> None:
    a, b, c = [await finished(engine) for _ in range(3)]
    await finished(engine, code="waste")  # another department, still waiting
    await closure.record_verdict(engine, a.service_request_id, fixed=True, rating=5)
    await closure.record_verdict(engine, b.service_request_id, fixed=True, rating=2)
    await closure.record_verdict(engine, c.service_request_id, fixed=False, words="masih mati")
    since = T0 - timedelta(days=1)
    light = await closure.summary(engine, a.agency_responsible, since)
    assert (light.confirmed, light.reopened, light.expired, light.waiting) == (2, 1, 0, 0)
    assert (light.ratings, light.average) == (2, 3.5)
    everyone = await closure.summary(engine, None, since)
    assert everyone.waiting == 1 and everyone.confirmed == 2
    assert (
        await closure.summary(engine, a.agency_responsible, T0 + timedelta(days=1))
    ).ratings == 0


def test_the_waits_are_data_and_are_checked(tmp_path: Path) -> None:
    assert (WAIT, waits.load().question) == (timedelta(days=3), timedelta(days=7))
    broken = tmp_path / "deadlines.yml"
    for key in waits.DEFAULTS:
        for value in ("0", "dua", "1.5", "true"):
            broken.write_text(f"{key}: {value}\n", encoding="utf-8")
            with pytest.raises(waits.WaitsError, match=key):
                waits.load(broken)

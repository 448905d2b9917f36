"""Each history entry keeps the ticket's first response and resolution times
(tickets.record_event), which the monitoring figures read: the city's first
action counts as the response, the clock and the citizen do not; closing sets
the resolution, reopening clears it. And migration 0016 works them out for
the tickets that were there before."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import AsyncIterator, Optional, Tuple

import pytest
from sqlalchemy import create_engine as sync_engine
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import closure, migrate, tickets, workflow
from backend.tables import tickets as ticket_table
from backend.tickets import NewTicket
from lapor.catalogue import load_catalogue
from lapor.db import create_engine, sync_url
from lapor.paths import SERVICES_FILE
from lapor.timeutil import aware

CATALOGUE = load_catalogue(SERVICES_FILE)
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def timings(engine: AsyncEngine, sid: str) -> Tuple[Optional[datetime], Optional[datetime]]:
    t = ticket_table.c
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(t.first_response_at, t.resolved_at).where(t.service_request_id == sid)
            )
        ).one()
    return tuple(aware(v) if v else None for v in row)  # type: ignore[return-value]


async def move(
    engine: AsyncEngine, sid: str, status: str, at: datetime, actor: str = "budi"
) -> None:
    await tickets.change_status(
        engine, sid, status, note="catatan", actor=actor, department=None, now=at
    )


async def test_the_first_staff_action_is_the_response_and_closing_the_resolution(
    engine: AsyncEngine,
) -> None:
    new = NewTicket(
        service=CATALOGUE.service("street_light"),
        description="lampu mati",
        address="gang 3",
        channel="whatsapp",
        phone="+6281234567890",
        account_id="whatsapp:p-1",
    )
    sid = (await tickets.create_ticket(engine, new, now=T0)).ticket.service_request_id
    assert await timings(engine, sid) == (None, None)  # the report itself is no response
    await move(engine, sid, workflow.VERIFIED, T0 + 2 * HOUR)
    await move(engine, sid, workflow.IN_PROGRESS, T0 + 3 * HOUR)
    assert await timings(engine, sid) == (T0 + 2 * HOUR, None)
    await move(engine, sid, workflow.DONE, T0 + 5 * HOUR)
    assert await timings(engine, sid) == (T0 + 2 * HOUR, T0 + 5 * HOUR)
    # The reporter says it is not fixed: open again, no resolution time.
    await closure.record_verdict(engine, sid, fixed=False, words="masih mati", now=T0 + 6 * HOUR)
    assert await timings(engine, sid) == (T0 + 2 * HOUR, None)
    await move(engine, sid, workflow.DONE, T0 + 9 * HOUR)
    assert await timings(engine, sid) == (T0 + 2 * HOUR, T0 + 9 * HOUR)
    # Their confirmation afterwards does not move it.
    await closure.record_verdict(engine, sid, fixed=True, rating=4, now=T0 + 10 * HOUR)
    assert await timings(engine, sid) == (T0 + 2 * HOUR, T0 + 9 * HOUR)


def test_the_migration_works_out_the_times_of_existing_tickets(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0015")
    engine = sync_engine(sync_url(empty_database), future=True)
    ticket = (
        "INSERT INTO tickets (id, service_request_id, service_code, agency_responsible,"
        " description,"
        " status, workflow_status, media_urls, attributes, channel, requested_at, updated_at,"
        " expected_at, place_public, escalation_level) VALUES (:id, :sid, 'road', 'dpupr', 'x',"
        " :status, :workflow, '[]', '{}', 'whatsapp', :t0, :t0, :t0, false, 0)"
    )
    event = (
        "INSERT INTO ticket_events (ticket_id, workflow_status, actor, created_at, kind)"
        " VALUES (:id, :workflow, :actor, :at, :kind)"
    )
    with engine.begin() as conn:
        conn.execute(
            text(ticket), dict(id=1, sid="KDR-1", status="closed", workflow="selesai", t0=T0)
        )
        conn.execute(
            text(ticket), dict(id=2, sid="KDR-2", status="open", workflow="diterima", t0=T0)
        )
        for id_, workflow_status, actor, at, kind in [
            (1, "diterima", "pelapor (whatsapp)", T0, "status"),
            (1, "selesai", "Budi (budi)", T0 + HOUR / 2, "status"),  # closed, then reopened
            (1, "diproses", "Budi (budi)", T0 + HOUR / 2 + timedelta(minutes=1), "status"),
            (1, "diterima", "system", T0 + HOUR, "escalation"),
            (1, "diproses", "Budi (budi)", T0 + 2 * HOUR, "status"),
            (1, "selesai", "Budi (budi)", T0 + 5 * HOUR, "status"),
            (1, "selesai", "Pelapor (warga)", T0 + 6 * HOUR, "closure"),
            (2, "diterima", "pelapor (web)", T0, "status"),
        ]:
            conn.execute(
                text(event), dict(id=id_, workflow=workflow_status, actor=actor, at=at, kind=kind)
            )
    engine.dispose()
    migrate.upgrade(empty_database)
    engine = sync_engine(sync_url(empty_database), future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, first_response_at, resolved_at FROM tickets ORDER BY id")
        ).all()
    engine.dispose()
    found = [
        (r[0], *(aware(v) if isinstance(v, datetime) else _parse(v) for v in r[1:])) for r in rows
    ]
    # Answered at 0.5 h (the clock at 1 h is no answer); closed again at 5 h after the
    # reopening (the first closing does not count, the confirmation at 6 h closes nothing).
    assert found == [(1, T0 + HOUR / 2, T0 + 5 * HOUR), (2, None, None)]


def _parse(value: Optional[str]) -> Optional[datetime]:
    return aware(datetime.fromisoformat(value)) if value else None

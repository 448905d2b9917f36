"""Moving a ticket to the department that should handle it (backend/routing.py)."""

from __future__ import annotations

from typing import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import routing, tickets
from backend.tables import audit_log, live_events, ticket_events
from backend.tickets import NewTicket
from lapor.catalogue import load_catalogue
from lapor.db import create_engine
from lapor.paths import SERVICES_FILE

CATALOGUE = load_catalogue(SERVICES_FILE)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def file(engine: AsyncEngine, code: str = "street_light") -> str:
    new = NewTicket(service=CATALOGUE.service(code), description="jalan rusak", address="x")
    return (await tickets.create_ticket(engine, new)).ticket.service_request_id


async def move(
    engine: AsyncEngine, number: str, to: str, reason: str, scope: str | None
) -> tickets.Ticket:
    return await routing.transfer(engine, CATALOGUE, number, to, reason, "sari", scope)


async def test_a_transfer_moves_the_ticket_records_why_and_alerts_the_receiver(
    engine: AsyncEngine,
) -> None:
    number = await file(engine)  # street_light: dishub
    moved = await move(engine, number, "dpupr", "Ini jalan berlubang, bukan lampu", "dishub")
    assert moved.agency_responsible == "dpupr"
    async with engine.connect() as conn:
        kinds = (await conn.execute(select(ticket_events.c.kind, ticket_events.c.note))).all()
        heard = (
            await conn.execute(select(live_events.c.department_code, live_events.c.data))
        ).all()
        audited = (await conn.execute(select(audit_log.c.action, audit_log.c.detail))).all()
    assert kinds[-1][0] == "transfer"
    assert (
        "Dinas Perhubungan ke Dinas Pekerjaan Umum" in kinds[-1][1] and "berlubang" in kinds[-1][1]
    )
    transferred = [(d, e) for d, e in heard if e.get("change") == "transferred"]
    assert {d for d, _ in transferred} == {"dpupr", "dishub"}
    assert ("ticket.transfer", {"from": "dishub", "to": "dpupr"}) in audited


async def test_a_department_can_move_only_its_own_tickets_and_triage_any(
    engine: AsyncEngine,
) -> None:
    number = await file(engine)
    with pytest.raises(tickets.NotYourTicket):
        await move(engine, number, "dinsos", "bukan kami", "dpupr")
    # Not ours: back to Diskominfo's triage, which sorts it on.
    await move(engine, number, routing.TRIAGE_DEPARTMENT, "Bukan wewenang Dishub", "dishub")
    moved = await move(engine, number, "dlhkp", "Pohon menutupi lampu: pemangkasan", None)
    assert moved.agency_responsible == "dlhkp"


@pytest.mark.parametrize(
    ("to", "reason", "problem"),
    [
        ("dpupr", "  ", "Tulis alasan"),
        ("nowhere", "salah dinas", "tidak dikenal"),
        ("dishub", "salah dinas", "sudah berada di dinas"),
        ("dpupr", "x" * 1001, "terlalu panjang"),
    ],
)
async def test_a_transfer_that_cannot_be_made_says_why_and_changes_nothing(
    engine: AsyncEngine, to: str, reason: str, problem: str
) -> None:
    number = await file(engine)
    with pytest.raises(routing.RoutingError, match=problem):
        await move(engine, number, to, reason, "dishub")
    assert (await tickets.get_ticket(engine, number)).agency_responsible == "dishub"


async def test_a_closed_ticket_is_not_transferred(engine: AsyncEngine) -> None:
    number = await file(engine)
    await tickets.change_status(engine, number, "selesai", note="sudah", actor="x", department=None)
    with pytest.raises(routing.RoutingError, match="sudah ditutup"):
        await move(engine, number, "dpupr", "salah dinas", None)

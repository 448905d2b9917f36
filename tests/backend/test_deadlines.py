"""Late tickets escalate on the schedule in data/deadlines.yml, with a clock the test moves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator, List

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import deadlines, people, tickets
from backend.tables import live_events, staff_alerts, ticket_events, users
from backend.tickets import NewTicket
from lapor import channels
from lapor.catalogue import load_catalogue
from lapor.contact import ContactCipher
from lapor.db import create_engine
from lapor.outbound import Outbound
from lapor.paths import SERVICES_FILE
from lapor.settings import DEVELOPMENT_CONTACT_KEY
from lapor.whatsapp.sender import WhatsAppChannel
from lapor.whatsapp.state import ChannelState, MemoryStore
from lapor.whatsapp.twilio import TwilioClient
from tests.fake_twilio import FakeTwilio

CATALOGUE = load_catalogue(SERVICES_FILE)
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)  # street_light: due 3 days later
STEPS = deadlines.load()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def file(engine: AsyncEngine, code: str = "street_light") -> tickets.Ticket:
    new = NewTicket(service=CATALOGUE.service(code), description="lampu mati", address="gang 3")
    return (await tickets.create_ticket(engine, new, now=T0)).ticket


async def person(
    engine: AsyncEngine, name: str, roles: List[str], dept: str | None, phone: str | None
) -> None:
    await people.create_user(engine, name, "kata-sandi-panjang-uji", roles, department=dept)
    async with engine.begin() as conn:
        await conn.execute(update(users).where(users.c.username == name).values(phone=phone))


async def escalate(engine: AsyncEngine, at: datetime) -> List[deadlines.Escalated]:
    return await deadlines.escalate_due(engine, STEPS, CATALOGUE, now=at)


async def test_the_schedule_is_data_and_is_checked(tmp_path: Path) -> None:
    assert [(s.level, s.after.days, s.to) for s in STEPS] == [
        (1, 0, "staff_head"), (2, 2, "triage"), (3, 7, "triage"),
    ]  # fmt: skip
    bad = tmp_path / "deadlines.yml"
    bad.write_text("steps:\n  - after_days: 1\n    to: mayor\n    template: x\n")
    with pytest.raises(deadlines.DeadlinesError, match="'to' must be one of"):
        deadlines.load(bad)


async def test_a_late_ticket_goes_to_the_head_at_the_deadline_and_to_triage_after_grace(
    engine: AsyncEngine,
) -> None:
    ticket = await file(engine)
    await person(engine, "kepala-dishub", ["staff_head"], "dishub", "+6281200000001")
    await person(engine, "kepala-pupr", ["staff_head"], "dpupr", "+6281200000002")
    await person(engine, "pemilah", ["triage"], None, "+6281200000003")
    due = ticket.expected_at
    assert await escalate(engine, due - timedelta(minutes=1)) == []
    (first,) = await escalate(engine, due + timedelta(hours=1))
    assert (first.level, first.to, first.alerts) == (1, "staff_head", 1)  # dishub's head only
    assert await escalate(engine, due + timedelta(days=1)) == []  # once per step
    (second,) = await escalate(engine, due + timedelta(days=2, hours=1))
    assert (second.level, second.to, second.alerts) == (2, "triage", 1)
    async with engine.connect() as conn:
        notes = (
            await conn.execute(
                select(ticket_events.c.kind, ticket_events.c.note).where(
                    ticket_events.c.ticket_id == ticket.id
                )
            )
        ).all()
        heard = [e.data for e in (await conn.execute(select(live_events))).all()]
        queued = (await conn.execute(select(staff_alerts.c.variables))).scalars().all()
    assert [k for k, _ in notes] == ["status", "escalation", "escalation"]
    assert "Terlambat 2 hari" in notes[-1][1] and "pemilah Diskominfo" in notes[-1][1]
    assert [h["change"] for h in heard if h.get("change") == "escalated"] == ["escalated"] * 2
    assert queued[0] == {
        "1": ticket.service_request_id,
        "2": "Penerangan jalan umum dan lampu lalu lintas",
        "3": "0",
        "4": "Dinas Perhubungan",
    }


async def test_a_closed_ticket_never_escalates(engine: AsyncEngine) -> None:
    ticket = await file(engine)
    await tickets.change_status(
        engine, ticket.service_request_id, "selesai", note="sudah diganti", actor="x",
        department=None, now=T0 + timedelta(days=1),
    )  # fmt: skip
    assert await escalate(engine, T0 + timedelta(days=30)) == []


async def test_people_without_a_phone_or_disabled_get_no_template(engine: AsyncEngine) -> None:
    await file(engine)
    await person(engine, "kepala-a", ["staff_head"], "dishub", None)
    await person(engine, "kepala-b", ["staff_head"], "dishub", "+6281200000009")
    await people.set_active(engine, "kepala-b", False, actor="admin")
    (first,) = await escalate(engine, T0 + timedelta(days=4))
    assert first.alerts == 0


async def test_alerts_go_out_as_templates_through_the_outbound_interface(
    engine: AsyncEngine, fake: FakeTwilio
) -> None:
    await file(engine)
    await person(engine, "kepala-dishub", ["staff_head"], "dishub", "+6281200000001")
    await escalate(engine, T0 + timedelta(days=4))
    config = fake.config(templates={"staff_escalation": "HX" + "1" * 32})
    channel = WhatsAppChannel(
        TwilioClient(config),
        ChannelState(MemoryStore()),
        ContactCipher(DEVELOPMENT_CONTACT_KEY.encode()),
    )
    assert await deadlines.send_alerts(engine, Outbound({channels.WHATSAPP: channel})) == 1
    (sent,) = fake.delivered()
    assert sent["To"] == "whatsapp:+6281200000001" and sent["ContentSid"].startswith("HX")
    async with engine.connect() as conn:
        assert (await conn.execute(select(staff_alerts.c.state))).scalar() == "sent"

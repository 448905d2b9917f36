"""An incident's life (backend/emergency/incidents.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import AsyncIterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.emergency import incidents, shifts, texts
from backend.emergency.agencies import load
from backend.tables import live_events, operator_shifts
from lapor.db import create_engine
from lapor.timeutil import utcnow
from tests.backend.console.helpers import make_person
from tests.backend.emergency.helpers import incident, on_duty, queued, report, taken, timeline


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def test_filing_records_the_seconds_and_alerts_every_operator(engine: AsyncEngine) -> None:
    filed = await incidents.file(engine, report())
    assert filed.created and filed.state == incidents.OPEN and filed.operators_on_duty == 0
    assert await timeline(engine, filed.id) == ["received", "location", "alerted"]
    row = await incident(engine, filed.id)
    assert row.alerted_at is not None and row.received_at < row.alerted_at
    # The number the citizen typed is masked in what the console shows.
    assert "081234567890" not in row.text and "kebakaran" in row.text
    async with engine.connect() as conn:
        alert = (await conn.execute(select(live_events))).all()[-1]
    assert alert.topic == "incident" and alert.data["change"] == "created"
    assert set(alert.roles.split(",")) == {"operator", "operator_supervisor"}


async def test_filing_again_with_the_same_key_returns_the_same_incident(
    engine: AsyncEngine,
) -> None:
    first = await incidents.file(engine, report(key="same-key-123"))
    again = await incidents.file(engine, report(key="same-key-123"))
    assert (again.id, again.created) == (first.id, False)
    assert await timeline(engine, first.id) == ["received", "location", "alerted"]


async def test_an_operator_counts_as_on_duty_only_while_their_console_is_seen(
    database_url: str, engine: AsyncEngine
) -> None:
    operator = await make_person(database_url, "ani", ["operator"])
    await on_duty(engine, operator.id)
    assert (await incidents.file(engine, report())).operators_on_duty == 1
    async with engine.begin() as conn:
        stale = utcnow() - shifts.FRESH - timedelta(seconds=1)
        await conn.execute(update(operator_shifts).values(last_seen_at=stale))
        assert await shifts.on_duty_count(conn) == 0
    await shifts.touch(engine, operator.id)
    await shifts.end(engine, operator.id)
    async with engine.connect() as conn:
        assert await shifts.on_duty_count(conn) == 0


async def test_accepting_pauses_the_bot_and_tells_the_citizen_who_took_it(
    database_url: str, engine: AsyncEngine
) -> None:
    operator = await make_person(database_url, "ani", ["operator"])
    filed = await taken(engine, operator)
    row = await incident(engine, filed.id)
    assert (row.state, row.owner_id) == (incidents.ACCEPTED, operator.id)
    sent = await queued(engine, filed.id)
    assert [s.kind for s in sent] == ["pause", "message"]
    assert sent[1].payload["text"] == texts.ACCEPTED.format(name="Ani")
    assert sent[1].payload["conversation_id"] == row.conversation_key


async def test_of_two_operators_racing_to_accept_exactly_one_wins(
    database_url: str, engine: AsyncEngine
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    budi = await make_person(database_url, "budi", ["operator"])
    filed = await incidents.file(engine, report())
    results = await asyncio.gather(
        incidents.accept(engine, filed.id, ani),
        incidents.accept(engine, filed.id, budi),
        return_exceptions=True,
    )
    lost = [r for r in results if isinstance(r, incidents.IncidentError)]
    assert len(lost) == 1 and "sudah diterima oleh" in str(lost[0])
    row = await incident(engine, filed.id)
    assert row.owner_id in (ani.id, budi.id)
    assert (await timeline(engine, filed.id)).count("accepted") == 1
    assert [s.kind for s in await queued(engine, filed.id)] == ["pause", "message"]


async def test_only_the_owner_or_a_shift_lead_may_work_an_accepted_incident(
    database_url: str, engine: AsyncEngine
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    budi = await make_person(database_url, "budi", ["operator"])
    lead = await make_person(database_url, "lead", ["operator_supervisor"])
    filed = await incidents.file(engine, report())
    with pytest.raises(incidents.IncidentError, match="Terima kejadian ini"):
        await incidents.reply(engine, filed.id, ani, "Petugas segera datang")
    await incidents.accept(engine, filed.id, ani)
    with pytest.raises(incidents.IncidentError, match="operator lain"):
        await incidents.reply(engine, filed.id, budi, "Petugas segera datang")
    await incidents.reply(engine, filed.id, lead, "Damkar sudah berangkat")
    reply = (await queued(engine, filed.id))[-1]
    assert reply.payload["author"] == texts.OPERATOR
    assert reply.payload["text"] == "Damkar sudah berangkat"


async def test_an_empty_reply_or_note_is_refused(database_url: str, engine: AsyncEngine) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    filed = await taken(engine, ani)
    with pytest.raises(incidents.IncidentError, match="Tulis balasan"):
        await incidents.reply(engine, filed.id, ani, "   ")
    with pytest.raises(incidents.IncidentError, match="Tulis catatan"):
        await incidents.resolve(engine, filed.id, ani, "")
    assert (await incident(engine, filed.id)).state == incidents.ACCEPTED


async def test_dispatch_records_each_agency_with_its_time(
    database_url: str, engine: AsyncEngine
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    filed = await taken(engine, ani)
    await incidents.dispatch(engine, filed.id, ani, ["damkar", "psc119", "damkar", "nope"], load())
    assert (await timeline(engine, filed.id)).count("dispatched") == 2
    with pytest.raises(incidents.IncidentError, match="Pilih instansi"):
        await incidents.dispatch(engine, filed.id, ani, ["nope"], load())


async def test_hand_over_goes_to_an_active_shift_lead_only(
    database_url: str, engine: AsyncEngine
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    budi = await make_person(database_url, "budi", ["operator"])
    lead = await make_person(database_url, "lead", ["operator_supervisor"])
    filed = await taken(engine, ani)
    with pytest.raises(incidents.IncidentError, match="kepala regu"):
        await incidents.hand_over(engine, filed.id, ani, budi)
    await incidents.hand_over(engine, filed.id, ani, lead)
    assert (await incident(engine, filed.id)).owner_id == lead.id
    with pytest.raises(incidents.IncidentError, match="operator lain"):
        await incidents.reply(engine, filed.id, ani, "masih saya?")


async def test_resolving_tells_the_citizen_and_then_resumes_the_bot(
    database_url: str, engine: AsyncEngine
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    filed = await taken(engine, ani)
    await incidents.resolve(engine, filed.id, ani, "Api padam, tidak ada korban")
    row = await incident(engine, filed.id)
    assert row.state == incidents.RESOLVED and row.resolution == "Api padam, tidak ada korban"
    assert [s.kind for s in await queued(engine, filed.id)] == [
        "pause",
        "message",
        "message",
        "resume",
    ]
    with pytest.raises(incidents.IncidentError, match="sudah selesai"):
        await incidents.resolve(engine, filed.id, ani, "lagi")


async def test_an_incident_nobody_accepted_can_be_closed_without_resuming_a_bot_never_paused(
    database_url: str, engine: AsyncEngine
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    filed = await incidents.file(engine, report())
    await incidents.resolve(engine, filed.id, ani, "Pelapor menyatakan salah kirim")
    assert [s.kind for s in await queued(engine, filed.id)] == ["message"]
    assert (await incident(engine, filed.id)).owner_id == ani.id


async def test_the_citizen_adds_a_place_and_says_it_is_safe_without_closing_it(
    engine: AsyncEngine,
) -> None:
    filed = await incidents.file(engine, report(place=incidents.Place()))
    at = utcnow()
    pin = incidents.Place(text="depan masjid", latitude=-7.8167, longitude=112.012)
    await incidents.annotate(engine, filed.key, "location", "depan masjid", pin, at)
    await incidents.annotate(engine, filed.key, "safe", "sudah aman pak", incidents.Place(), at)
    row = await incident(engine, filed.id)
    assert (row.location_text, row.latitude, row.longitude) == ("depan masjid", -7.8167, 112.012)
    assert row.state == incidents.OPEN
    assert await timeline(engine, filed.id) == ["received", "alerted", "location", "citizen_safe"]
    assert (
        await incidents.annotate(engine, "unknown-key", "safe", "x", incidents.Place(), at) is None
    )


async def test_a_call_back_needs_a_desk_phone_and_a_whatsapp_number(
    database_url: str, engine: AsyncEngine
) -> None:
    ani = await make_person(database_url, "ani", ["operator"])
    web = await taken(engine, ani)
    with pytest.raises(incidents.IncidentError, match="nomor telepon meja"):
        await incidents.call_back(engine, web.id, ani, None)
    with pytest.raises(incidents.IncidentError, match="bukan laporan WhatsApp"):
        await incidents.call_back(engine, web.id, ani, "+62354000112")
    wa = await taken(engine, ani, channel="whatsapp", contact="sealed-token")
    await incidents.call_back(engine, wa.id, ani, "+62354000112")
    call = (await queued(engine, wa.id))[-1]
    assert call.kind == "call"
    assert call.payload == {"to": "+62354000112", "contact": "sealed-token", "incident": wa.id}
    assert "callback" in await timeline(engine, wa.id)

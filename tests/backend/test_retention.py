"""Retention: what is past its period is deleted or anonymised, nothing else,
and a second run finds nothing to do. The clock is the `now` given to purge."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any, AsyncIterator, Dict, List, Optional

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import people, retention
from backend.retention import ANONYMISED, Policy
from backend.tables import (
    audit_log,
    console_sessions,
    conversation_events,
    conversations,
    media,
    notifications,
    ticket_events,
    tickets,
    users,
)
from lapor.db import create_engine
from lapor.timeutil import utcnow

POLICY = Policy(
    conversation_days=30,
    ticket_days=365,
    media_days=90,
    audit_days=730,
    notification_days=60,
)
T0 = datetime(2026, 1, 10, 3, 0, tzinfo=utcnow().tzinfo)  # when things happened
JUST = timedelta(hours=1)
BACKEND = "http://localhost:8000"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def add_ticket(
    engine: AsyncEngine,
    *,
    status: str = "closed",
    closed_at: datetime = T0,
    photos: int = 0,
    note: Optional[str] = "Sudah diperbaiki, hubungi 0812-3456-7890 bila mati lagi",
) -> int:
    """A reported ticket with every personal field filled, last changed at `closed_at`."""
    urls = []
    async with engine.begin() as conn:
        for _ in range(photos):
            media_id = uuid.uuid4().hex
            await conn.execute(
                insert(media).values(
                    id=media_id, content_type="image/jpeg", data=b"jpeg", size=4, created_at=T0
                )
            )
            urls.append(f"{BACKEND}/media/{media_id}")
        result = await conn.execute(
            insert(tickets).values(
                service_request_id=f"KDR-2026-{uuid.uuid4().int % 10**6:06d}",
                service_code="street_light",
                agency_responsible="dishub",
                description="Lampu mati depan rumah Pak Budi, HP 081234567890",
                status=status,
                workflow_status="selesai" if status == "closed" else "diproses",
                status_notes=note,
                address="Jl. Melati 5 RT 02",
                address_id="rumah-budi",
                lat=-7.8167312,
                long=112.0120119,
                kelurahan_code="35.71.02.1009",
                media_urls=urls,
                attributes={"pole_number": "PJU-17"},
                channel="whatsapp",
                account_id="whatsapp:p-abc",
                phone="+6281234567890",
                email="budi@example.com",
                first_name="Budi",
                last_name="Santoso",
                device_id="device-1",
                idempotency_key=uuid.uuid4().hex,
                request_fingerprint="f" * 64,
                requested_at=closed_at - timedelta(days=10),
                updated_at=closed_at,
                expected_at=closed_at,
            )
        )
        ticket_id = int(result.inserted_primary_key[0])
        await conn.execute(
            insert(ticket_events).values(
                ticket_id=ticket_id,
                workflow_status="selesai",
                note=note,
                actor="dishub",
                created_at=closed_at,
            )
        )
        await conn.execute(
            insert(notifications).values(
                ticket_id=ticket_id,
                recipient="whatsapp:+6281234567890",
                workflow_status="selesai",
                created_at=closed_at,
                next_attempt_at=closed_at,
                attempts=1,
                state="sent",
            )
        )
    return ticket_id


async def ticket(engine: AsyncEngine, ticket_id: int) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).one()


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def media_ids(engine: AsyncEngine) -> List[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(media.c.id))).scalars().all())


# -- tickets -------------------------------------------------------------------


async def test_a_closed_ticket_keeps_its_reporter_until_its_period_ends(
    engine: AsyncEngine,
) -> None:
    ticket_id = await add_ticket(engine)
    await retention.purge(engine, POLICY, now=T0 + timedelta(days=365) - JUST)
    kept = await ticket(engine, ticket_id)
    assert kept.phone == "+6281234567890" and kept.first_name == "Budi"
    assert kept.description.startswith("Lampu mati depan rumah Pak Budi")


async def test_a_closed_ticket_past_its_period_is_anonymised_for_statistics_only(
    engine: AsyncEngine,
) -> None:
    ticket_id = await add_ticket(engine)
    counts = await retention.purge(engine, POLICY, now=T0 + timedelta(days=365) + JUST)
    assert counts["tickets"] == 1
    row = await ticket(engine, ticket_id)
    personal = (
        row.phone,
        row.email,
        row.first_name,
        row.last_name,
        row.device_id,
        row.account_id,
        row.address,
        row.address_id,
        row.idempotency_key,
        row.request_fingerprint,
    )
    assert personal == (None,) * len(personal)
    assert row.description == ANONYMISED and row.attributes == {}
    assert "3456" not in row.status_notes and row.status_notes.startswith("Sudah diperbaiki")
    # What the city's figures need stays.
    assert (row.service_code, row.agency_responsible, row.kelurahan_code) == (
        "street_light",
        "dishub",
        "35.71.02.1009",
    )
    assert (row.status, row.workflow_status, row.lat, row.long) == (
        "closed",
        "selesai",
        -7.817,
        112.012,
    )
    async with engine.connect() as conn:
        notes = (await conn.execute(select(ticket_events.c.note))).scalars().all()
        recipients = (await conn.execute(select(notifications.c.recipient))).scalars().all()
    assert notes and all("3456" not in n for n in notes)
    assert recipients == []  # the notices held the number


async def test_an_open_ticket_is_never_anonymised_however_old(engine: AsyncEngine) -> None:
    ticket_id = await add_ticket(engine, status="open", closed_at=T0, photos=1)
    counts = await retention.purge(engine, POLICY, now=T0 + timedelta(days=3650))
    assert counts["tickets"] == 0 and counts["media"] == 0
    row = await ticket(engine, ticket_id)
    assert row.phone == "+6281234567890" and len(row.media_urls) == 1
    assert len(await media_ids(engine)) == 1


async def test_a_second_run_purges_nothing(engine: AsyncEngine) -> None:
    await add_ticket(engine, photos=2)
    await add_conversation(engine, [T0, T0 + timedelta(days=1)])
    later = T0 + timedelta(days=800)
    first = await retention.purge(engine, POLICY, now=later)
    assert first["tickets"] == 1 and first["media"] == 2 and first["conversations"] == 1
    second = await retention.purge(engine, POLICY, now=later)
    assert second == {kind: 0 for kind in retention.KINDS}


async def test_replicas_purging_at_once_anonymise_each_ticket_once(engine: AsyncEngine) -> None:
    for _ in range(5):
        await add_ticket(engine, photos=1)
    later = T0 + timedelta(days=400)
    runs = await asyncio.gather(*(retention.purge(engine, POLICY, now=later) for _ in range(3)))
    assert sum(run["tickets"] for run in runs) == 5
    assert sum(run["media"] for run in runs) == 5
    assert await media_ids(engine) == []


# -- media ---------------------------------------------------------------------


async def test_photos_go_after_their_period_and_the_ticket_forgets_them(
    engine: AsyncEngine,
) -> None:
    ticket_id = await add_ticket(engine, photos=2)
    before = await retention.purge(engine, POLICY, now=T0 + timedelta(days=90) - JUST)
    assert before["media"] == 0 and len(await media_ids(engine)) == 2
    after = await retention.purge(engine, POLICY, now=T0 + timedelta(days=90) + JUST)
    assert after["media"] == 2 and await media_ids(engine) == []
    row = await ticket(engine, ticket_id)
    assert row.media_urls == [] and row.phone is not None  # the ticket's own period runs on


async def test_a_photo_another_live_ticket_uses_is_kept(engine: AsyncEngine) -> None:
    old = await add_ticket(engine, photos=1)
    shared = (await ticket(engine, old)).media_urls
    live = await add_ticket(engine, status="open")
    async with engine.begin() as conn:
        await conn.execute(tickets.update().where(tickets.c.id == live).values(media_urls=shared))
    await retention.purge(engine, POLICY, now=T0 + timedelta(days=100))
    assert (await ticket(engine, old)).media_urls == []
    assert len(await media_ids(engine)) == 1


async def test_an_old_photo_no_ticket_took_is_deleted(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(media).values(
                id=uuid.uuid4().hex, content_type="image/png", data=b"png", size=3, created_at=T0
            )
        )
    await retention.purge(engine, POLICY, now=T0 + timedelta(days=90) - JUST)
    assert len(await media_ids(engine)) == 1
    counts = await retention.purge(engine, POLICY, now=T0 + timedelta(days=90) + JUST)
    assert counts["media"] == 1 and await media_ids(engine) == []


# -- conversations ---------------------------------------------------------------


async def add_conversation(engine: AsyncEngine, times: List[datetime]) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(conversations).values(
                sender_key=f"whatsapp:p-{uuid.uuid4().hex[:16]}",
                channel="whatsapp",
                started_at=times[0],
                last_event_at=times[-1],
            )
        )
        conversation_id = int(result.inserted_primary_key[0])
        for at in times:
            await conn.execute(
                insert(conversation_events).values(
                    conversation_id=conversation_id,
                    event_key=uuid.uuid4().hex,
                    kind="user",
                    at=at,
                    text="lampu mati di depan rumah saya",
                )
            )
    return conversation_id


async def test_old_messages_go_and_a_conversation_with_none_left_goes_too(
    engine: AsyncEngine,
) -> None:
    finished = await add_conversation(engine, [T0, T0 + timedelta(days=1)])
    ongoing = await add_conversation(engine, [T0, T0 + timedelta(days=20)])
    counts = await retention.purge(engine, POLICY, now=T0 + timedelta(days=31) + JUST)
    assert (counts["conversation_events"], counts["conversations"]) == (3, 1)
    async with engine.connect() as conn:
        left = (await conn.execute(select(conversations.c.id))).scalars().all()
        events = (await conn.execute(select(conversation_events.c.at))).scalars().all()
    assert left == [ongoing] and finished not in left and len(events) == 1


async def test_messages_inside_their_period_are_kept(engine: AsyncEngine) -> None:
    await add_conversation(engine, [T0])
    counts = await retention.purge(engine, POLICY, now=T0 + timedelta(days=30) - JUST)
    assert counts["conversation_events"] == 0
    assert await count(engine, conversation_events) == 1


# -- audit, notices, sessions -----------------------------------------------------


async def test_audit_notices_and_sessions_go_after_their_period(engine: AsyncEngine) -> None:
    ticket_id = await add_ticket(engine, status="open")
    async with engine.begin() as conn:
        await people.audit(conn, "sari", "login", None, None, {}, when=T0)
        await conn.execute(
            insert(notifications).values(
                ticket_id=ticket_id,
                recipient="whatsapp:+6281234567890",
                workflow_status="diproses",
                created_at=T0,
                next_attempt_at=T0,
                attempts=0,
                state="pending",  # still to be sent: never purged
            )
        )
        user = await conn.execute(
            insert(users).values(
                username="sari",
                display_name="Sari",
                password_hash="x",
                password_changed_at=T0,
                created_at=T0,
            )
        )
        await conn.execute(
            insert(console_sessions).values(
                token_hash="a" * 64,
                user_id=int(user.inserted_primary_key[0]),
                csrf_token="c",
                created_at=T0,
                last_seen_at=T0,
                expires_at=T0 + timedelta(hours=12),
            )
        )
    early = await retention.purge(engine, POLICY, now=T0 + timedelta(hours=11))
    assert (early["audit"], early["notifications"], early["console_sessions"]) == (0, 0, 0)
    mid = await retention.purge(engine, POLICY, now=T0 + timedelta(days=60) + JUST)
    assert (mid["notifications"], mid["console_sessions"], mid["audit"]) == (1, 1, 0)
    late = await retention.purge(engine, POLICY, now=T0 + timedelta(days=730) + JUST)
    assert late["audit"] == 1
    async with engine.connect() as conn:
        states = (await conn.execute(select(notifications.c.state))).scalars().all()
    assert states == ["pending"]


async def test_a_run_that_purged_something_is_audited_with_its_counts(
    engine: AsyncEngine,
) -> None:
    nothing = await retention.purge(engine, POLICY, now=T0)
    assert await count(engine, audit_log) == 0 and not any(nothing.values())
    await add_conversation(engine, [T0])
    when = T0 + timedelta(days=40)
    counts = await retention.purge(engine, POLICY, now=when)
    async with engine.connect() as conn:
        (record,) = (await conn.execute(select(audit_log))).all()
    assert (record.actor, record.action) == ("system", "retention.purge")
    assert record.detail == counts and record.detail["conversation_events"] == 1


async def test_a_dry_run_counts_what_a_run_would_purge_and_changes_nothing(
    engine: AsyncEngine,
) -> None:
    await add_ticket(engine, photos=2)
    await add_conversation(engine, [T0])
    later = T0 + timedelta(days=400)
    expected: Dict[str, int] = await retention.purge(engine, POLICY, now=later, dry_run=True)
    assert (expected["tickets"], expected["media"], expected["conversation_events"]) == (1, 2, 1)
    assert (await count(engine, media), await count(engine, conversation_events)) == (2, 1)
    done = await retention.purge(engine, POLICY, now=later)
    assert {k: done[k] for k in ("tickets", "media", "conversations")} == {
        "tickets": 1,
        "media": 2,
        "conversations": 1,
    }


def test_policy_reads_the_settings_and_photos_never_outlive_the_ticket() -> None:
    from backend.settings import BackendSettings

    settings = BackendSettings.load(retention_media_days=500, retention_ticket_days=200)
    policy = Policy.from_settings(settings)
    assert (policy.media_days, policy.effective_media_days) == (500, 200)


async def test_the_command_line_purges_and_a_dry_run_only_counts(
    engine: AsyncEngine, database_url: str
) -> None:
    from tests import servers

    await add_conversation(engine, [utcnow() - timedelta(days=181)])  # default: 180 days

    def run(*args: str) -> str:
        done = servers.run_process("backend", "purge", *args, DATABASE_URL=database_url)
        assert done.returncode == 0, done.stderr
        return str(done.stdout)

    assert "would purge conversation_events: 1" in await asyncio.to_thread(run, "--dry-run")
    assert await count(engine, conversation_events) == 1
    assert "purged conversation_events: 1" in await asyncio.to_thread(run)
    assert await count(engine, conversation_events) == 0


async def test_a_resolved_emergency_past_its_period_keeps_only_its_type_place_and_seconds(
    engine: AsyncEngine, database_url: str
) -> None:
    from backend.emergency import incidents as emergency
    from backend.tables import incident_events, incident_sends, incidents
    from tests.backend.console.helpers import make_person
    from tests.backend.emergency.helpers import report

    ani = await make_person(database_url, "ani", ["operator"])
    place = emergency.Place("depan rumah Bu Sri", "Kemasan", -7.8167312, 112.0120121)
    old = await emergency.file(engine, report(place=place, contact="sealed"))
    await emergency.accept(engine, old.id, ani)
    await emergency.reply(engine, old.id, ani, "Bu Sri, petugas sudah di jalan")
    await emergency.resolve(engine, old.id, ani, "Dibawa ke RS, keluarga 081234567890")
    still_open = await emergency.file(engine, report(contact="sealed"))
    later = utcnow() + timedelta(days=POLICY.incident_days + 1)
    assert (await retention.purge(engine, POLICY, now=later, dry_run=True))["incidents"] == 1
    assert (await retention.purge(engine, POLICY, now=later))["incidents"] == 1
    async with engine.connect() as conn:
        gone = (await conn.execute(select(incidents).where(incidents.c.id == old.id))).one()
        kept = (await conn.execute(select(incidents).where(incidents.c.id == still_open.id))).one()
        texts = (
            await conn.execute(
                select(incident_events.c.text).where(incident_events.c.incident_id == old.id)
            )
        ).scalars()
        sends = await conn.execute(
            select(func.count())
            .select_from(incident_sends)
            .where(incident_sends.c.incident_id == old.id)
        )
        left = [t for t in texts if t]
        assert sends.scalar_one() == 0
    assert (gone.text, gone.contact, gone.transcript, gone.location_text) == (
        ANONYMISED, None, None, None,
    )  # fmt: skip
    assert (gone.kind, gone.kelurahan, gone.latitude) == ("emergency_fire", "Kemasan", -7.817)
    assert gone.accepted_at is not None and gone.resolved_at is not None
    assert "081234567890" not in (gone.resolution or "")
    assert not any("Bu Sri" in t or "081234567890" in t for t in left)
    assert any("Dibawa ke RS" in t for t in left)  # the operator's note, masked
    assert kept.contact == "sealed"  # an open incident is never touched
    assert (await retention.purge(engine, POLICY, now=later))["incidents"] == 0


async def test_an_old_112_call_keeps_its_class_and_seconds_but_not_the_caller(
    engine: AsyncEngine,
) -> None:
    from backend.tables import voice_calls, voice_steps

    started = T0 - timedelta(days=POLICY.incident_days + 1)
    async with engine.begin() as conn:
        for sid, at in (("CA" + "1" * 32, started), ("CA" + "2" * 32, T0)):
            await conn.execute(
                insert(voice_calls).values(
                    call_sid=sid,
                    caller="whatsapp:p-abc",
                    contact="sealed",
                    state="ended",
                    route="speech",
                    speech="tolong, nomor saya 081234567890",
                    digits="1",
                    started_at=at,
                    queued_at=at,
                    **{"class": "valid"},
                )
            )
            await conn.execute(
                insert(voice_steps).values(
                    call_sid=sid, step="incoming", twiml="<Response/>", at=at
                )
            )
    counts = await retention.purge(engine, POLICY, now=T0 + JUST)
    assert (counts["voice_calls"], counts["voice_steps"]) == (1, 1)
    async with engine.connect() as conn:
        old, recent = (await conn.execute(select(voice_calls).order_by(voice_calls.c.id))).all()
    assert (old.contact, old.speech, old.digits) == (None, None, None)
    assert old.caller == f"anonim:{old.id}"
    assert (old._mapping["class"], old.route, old.queued_at is not None) == (
        "valid",
        "speech",
        True,
    )
    assert (recent.contact, recent.caller) == ("sealed", "whatsapp:p-abc")
    again = await retention.purge(engine, POLICY, now=T0 + JUST)
    assert (again["voice_calls"], again["voice_steps"]) == (0, 0)

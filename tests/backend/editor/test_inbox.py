"""The editors' inbox (backend/editor/inbox.py): which messages, why, in what order,
masked; decided ones leave it; a message is decided once. On SQLite and PostgreSQL,
with events stored the way the pipeline stores them."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import select, text

from backend.editor import inbox
from backend.pipeline import events
from backend.pipeline.store import store
from backend.tables import audit_log, conversation_events, nlu_inbox_decisions
from lapor.db import create_engine, sync_url

THRESHOLD = 0.6
MINUTE = 60.0


@pytest.fixture(autouse=True)
def no_decisions(database_url: str) -> Iterator[None]:
    """The shared test database's decisions are cleared too: SQLite does not
    cascade the events' deletion to them, and reuses the events' ids."""
    engine = create_sync_engine(sync_url(database_url), future=True)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM nlu_inbox_decisions"))
    engine.dispose()
    yield


def said(
    message: str, intent: str, confidence: float, at: float, channel: str = "rest"
) -> UserUttered:
    return UserUttered(
        message,
        intent={"name": intent, "confidence": confidence},
        input_channel=channel,
        timestamp=at,
    )


def ran(action: str, at: float) -> ActionExecuted:
    return ActionExecuted(action, timestamp=at)


def answered(reply: str, at: float) -> BotUttered:
    return BotUttered(reply, timestamp=at)


async def write(database_url: str, sender: str, turn: List[Event]) -> None:
    """Events as Rasa publishes them, mapped and stored by the pipeline's own code."""
    batch: List[Dict[str, Any]] = [{"sender_id": sender, **e.as_dict()} for e in turn]
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await store(conn, [events.to_row(e) for e in batch])
    finally:
        await engine.dispose()


async def event_id(database_url: str, message: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                select(conversation_events.c.id).where(conversation_events.c.text == message)
            )
            return int(found.scalar_one())
    finally:
        await engine.dispose()


async def listed(
    database_url: str, limit: int = 50, before_id: Optional[int] = None
) -> List[inbox.InboxItem]:
    engine = create_engine(database_url)
    try:
        return await inbox.unsure_messages(engine, THRESHOLD, limit, before_id)
    finally:
        await engine.dispose()


async def reasons(database_url: str) -> Dict[str, tuple]:
    return {item.text: item.reasons for item in await listed(database_url)}


async def fill(database_url: str) -> None:
    """Conversations with every reason, and messages that are in no inbox."""
    now = time.time()
    await write(
        database_url,
        "warga-ragu",
        [
            said("lampu depan rumah kedip kedip", "report_streetlight", 0.41, now - 50 * MINUTE),
            ran("report_form", now - 50 * MINUTE + 1),
            said("terima kasih", "thank", 0.97, now - 49 * MINUTE),
            ran("utter_thank", now - 49 * MINUTE + 1),
        ],
    )
    await write(
        database_url,
        "warga-unsure",
        [
            said("got mampet bau banget", "nlu_fallback", 0.3, now - 40 * MINUTE),
            ran("action_unsure", now - 40 * MINUTE + 1),
            answered("Maaf, maksudnya laporan apa?", now - 40 * MINUTE + 1.1),
            said("saluran air tersumbat di gang", "report_drainage", 0.92, now - 39 * MINUTE),
            ran("report_form", now - 39 * MINUTE + 1),
        ],
    )
    await write(
        database_url,
        "warga-menyerah",
        [
            said("halo min", "greet", 0.71, now - 120 * MINUTE),
            ran("utter_ask_rephrase", now - 120 * MINUTE + 1),
        ],
    )
    await write(
        database_url,
        "warga-baru-saja",
        [
            said("min tolongin dong", "greet", 0.75, now - 5 * MINUTE),
            ran("action_default_fallback", now - 5 * MINUTE + 1),
        ],
    )
    await write(
        database_url,
        "warga-tombol",
        [
            said("pohon tumbang nutup jalan", "nlu_fallback", 0.2, now - 30 * MINUTE),
            ran("action_unsure", now - 30 * MINUTE + 1),
            said(
                '/choose_category{"category": "lainnya"}', "choose_category", 1.0, now - 29 * MINUTE
            ),
            ran("report_form", now - 29 * MINUTE + 1),
        ],
    )


async def test_each_reason_is_listed_and_confident_messages_are_not(database_url: str) -> None:
    await fill(database_url)
    assert await reasons(database_url) == {
        "lampu depan rumah kedip kedip": ("ragu",),
        "got mampet bau banget": ("ragu", "fallback", "laporkan_saja"),
        "saluran air tersumbat di gang": ("diulang",),
        "halo min": ("fallback", "menyerah"),
        "min tolongin dong": ("fallback",),  # not 30 minutes yet: not given up
        "pohon tumbang nutup jalan": ("ragu", "fallback", "laporkan_saja"),
    }
    # "terima kasih" (sure, answered) and the button's payload are in no inbox.


async def test_newest_first_a_page_at_a_time(database_url: str) -> None:
    await fill(database_url)
    items = await listed(database_url)
    assert [i.text for i in items] == [
        "min tolongin dong",
        "pohon tumbang nutup jalan",
        "saluran air tersumbat di gang",
        "got mampet bau banget",
        "lampu depan rumah kedip kedip",
        "halo min",
    ]
    first = await listed(database_url, limit=2)
    assert [i.text for i in first] == [i.text for i in items[:2]]
    second = await listed(database_url, limit=2, before_id=first[-1].event_id)
    assert [i.text for i in second] == [i.text for i in items[2:4]]
    assert items[0].intent == "greet" and items[0].confidence == pytest.approx(0.75)


async def test_a_reply_after_more_than_half_an_hour_is_giving_up_not_rephrasing(
    database_url: str,
) -> None:
    now = time.time()
    await write(
        database_url,
        "warga-kembali",
        [
            said("anu itu lho", "greet", 0.8, now - 200 * MINUTE),
            ran("utter_ask_rephrase", now - 200 * MINUTE + 1),
            said("jalan rusak parah", "report_road", 0.95, now - 100 * MINUTE),
            ran("report_form", now - 100 * MINUTE + 1),
        ],
    )
    assert await reasons(database_url) == {"anu itu lho": ("fallback", "menyerah")}


async def test_phone_numbers_nik_and_names_are_masked(database_url: str) -> None:
    now = time.time()
    typed = "nama saya Budi Santoso wa 081234567890 nik 3571012345670001 di Jl. Mawar"
    await write(database_url, "warga-data", [said(typed, "inform", 0.2, now - MINUTE)])
    [item] = await listed(database_url)
    assert item.text == "nama saya [nama] wa 0812******** nik 3571************ di Jl. Mawar"


async def test_decided_messages_leave_the_inbox_and_are_decided_once(database_url: str) -> None:
    await fill(database_url)
    chosen = await event_id(database_url, "got mampet bau banget")
    ignored = await event_id(database_url, "halo min")
    engine = create_engine(database_url)
    try:
        line = "[got](facility) mampet bau banget"
        await inbox.decide(engine, chosen, "example", "report_drainage", line, "a" * 40, "editor1")
        await inbox.decide(engine, ignored, "ignored", None, None, None, "editor1")
        with pytest.raises(inbox.AlreadyDecided):
            await inbox.decide(engine, chosen, "ignored", None, None, None, "editor2")
        with pytest.raises(inbox.NotInInbox):
            await inbox.decide(engine, 987654, "ignored", None, None, None, "editor2")
        with pytest.raises(inbox.AlreadyDecided):
            await inbox.check_pending(engine, ignored)
        async with engine.connect() as conn:
            decided = (
                await conn.execute(
                    select(nlu_inbox_decisions).order_by(nlu_inbox_decisions.c.event_id)
                )
            ).all()
            audited = (
                await conn.execute(
                    select(audit_log.c.actor, audit_log.c.action, audit_log.c.record_id)
                    .where(audit_log.c.action.like("nlu.inbox.%"))
                    .order_by(audit_log.c.id)
                )
            ).all()
    finally:
        await engine.dispose()
    texts = [i.text for i in await listed(database_url)]
    assert "got mampet bau banget" not in texts and "halo min" not in texts
    assert "saluran air tersumbat di gang" in texts
    assert {(r.event_id, r.decision, r.intent, r.decided_by) for r in decided} == {
        (chosen, "example", "report_drainage", "editor1"),
        (ignored, "ignored", None, "editor1"),
    }
    assert [tuple(a) for a in audited] == [
        ("editor1", "nlu.inbox.example", str(chosen)),
        ("editor1", "nlu.inbox.ignored", str(ignored)),
    ]


async def test_a_bot_message_is_not_a_message_to_decide(database_url: str) -> None:
    now = time.time()
    await write(database_url, "warga-bot", [answered("Halo!", now - MINUTE)])
    bot = await event_id(database_url, "Halo!")
    engine = create_engine(database_url)
    try:
        with pytest.raises(inbox.NotInInbox):
            await inbox.decide(engine, bot, "ignored", None, None, None, "editor1")
    finally:
        await engine.dispose()

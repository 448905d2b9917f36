"""The day counts the pipeline keeps for the monitoring figures
(backend/pipeline/daily.py): added batch by batch in the events' transaction,
once per event however often it is delivered, equal to what a rebuild from
the stored events gives, and still there after the conversations are purged."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Dict, List, Tuple

from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from sqlalchemy import select

from backend import retention
from backend.pipeline import daily
from backend.settings import BackendSettings
from backend.tables import conversation_events, message_days
from lapor.db import create_engine
from tests.backend.pipeline.test_store import write  # the pipeline's own mapping and store

# 23:59:30 WIB on 31 October and 00:00:30 WIB on 1 November: two days in the city.
LATE = datetime(2026, 10, 31, 16, 59, 30, tzinfo=timezone.utc).timestamp()


def said(text: str, intent: str, confidence: float, at: float, channel: str = "whatsapp") -> Any:
    return UserUttered(text, intent={"name": intent, "confidence": confidence},
                       input_channel=channel, timestamp=at)  # fmt: skip


def turns() -> List[List[Dict[str, Any]]]:
    """Batches as a consumer reads them: a session start alone, then the turns."""
    a = [SessionStarted(timestamp=LATE)]
    b = [
        said("lampu mati", "report_street_light", 0.91, LATE + 1),
        ActionExecuted("action_unsure", timestamp=LATE + 2),
        BotUttered("Mohon pilih kategori", timestamp=LATE + 3),
        said("gak tau", "nlu_fallback", 0.31, LATE + 40),  # 00:00:10 WIB, 1 November
        BotUttered("Mohon maaf", timestamp=LATE + 41),
    ]
    c = [said("halo", "greet", 0.55, LATE + 50, channel="socketio")]
    return [
        [{"sender_id": "wa-1", **e.as_dict()} for e in a],
        [{"sender_id": "wa-1", **e.as_dict()} for e in b],
        [{"sender_id": "web-1", **e.as_dict()} for e in c],
    ]


async def day_counts(database_url: str, rebuilt: bool = False) -> Dict[Tuple[Any, ...], int]:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            if rebuilt:
                await daily.rebuild(conn)
            rows = (await conn.execute(select(message_days))).all()
        return {tuple(r[:5]): r[5] for r in rows}
    finally:
        await engine.dispose()


async def test_each_batch_adds_its_events_on_their_wib_day(database_url: str) -> None:
    for batch in turns():
        await write(database_url, batch)
    oct31, nov1 = date(2026, 10, 31), date(2026, 11, 1)
    assert await day_counts(database_url) == {
        (oct31, "whatsapp", "conversation", "", -1): 1,
        (oct31, "whatsapp", "user", "report_street_light", 18): 1,
        (oct31, "whatsapp", "action", "action_unsure", -1): 1,
        (oct31, "whatsapp", "bot", "", -1): 1,
        (nov1, "whatsapp", "user", "nlu_fallback", 6): 1,
        (nov1, "whatsapp", "bot", "", -1): 1,
        (nov1, "web", "conversation", "", -1): 1,
        (nov1, "web", "user", "greet", 11): 1,
    }


async def test_a_redelivered_batch_adds_nothing_and_a_rebuild_agrees(database_url: str) -> None:
    for batch in turns() + turns():  # everything delivered twice
        await write(database_url, batch)
    kept = await day_counts(database_url)
    assert sum(n for k, n in kept.items() if k[2] == "conversation") == 2
    assert await day_counts(database_url, rebuilt=True) == kept


async def test_the_counts_outlive_the_purged_conversations(
    database_url: str, settings: BackendSettings
) -> None:
    for batch in turns():
        await write(database_url, batch)
    kept = await day_counts(database_url)
    engine = create_engine(database_url)
    try:
        now = datetime(2027, 12, 1, tzinfo=timezone.utc)
        await retention.purge(engine, settings, now=now)
        async with engine.connect() as conn:
            assert (await conn.execute(select(conversation_events))).all() == []
    finally:
        await engine.dispose()
    assert await day_counts(database_url) == kept


def test_confidence_bands_put_a_number_where_a_person_would() -> None:
    assert [daily.band(c) for c in (None, 0.0, 0.049, 0.05, 0.55, 0.599, 0.6, 1.0)] == [
        -1, 0, 0, 1, 11, 11, 12, 20,
    ]  # fmt: skip

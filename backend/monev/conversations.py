"""What citizens wrote, per channel, and what the NLU made of it: one
grouped scan of the period's messages serves the channel table, the share
of valid reports against prank, junk and out-of-scope, and the NLU health."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Dict, Optional

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.monev.period import Period
from backend.monev.sql import as_date, local_day
from backend.tables import conversation_events as events
from backend.tables import conversations
from lapor import channels

FALLBACK_INTENT = "nlu_fallback"  # Rasa's FallbackClassifier: the NLU did not understand
REPORT, EMERGENCY, PRANK, OUT_OF_SCOPE, JUNK, OTHER = (
    "laporan",
    "darurat",
    "iseng",
    "di_luar_layanan",
    "tidak_dipahami",
    "lainnya",
)
# The kinds of a citizen's message, as the review counts them; in this order.
KINDS = (
    (REPORT, "Aduan (laporan sah)"),
    (EMERGENCY, "Darurat"),
    (PRANK, "Iseng (prank)"),
    (JUNK, "Tidak dipahami (sampah)"),
    (OUT_OF_SCOPE, "Di luar layanan"),
    (OTHER, "Percakapan lain (salam, cek status, jawaban)"),
)
CHANNELS = (
    (channels.WHATSAPP, "WhatsApp"),
    (channels.WEB, "Web chat"),
    (channels.OTHER, "Lainnya"),
)


def kind_of(intent: Optional[str]) -> str:
    """The kind of a message by the intent the NLU gave it."""
    name = intent or ""
    if name.startswith("report_"):
        return REPORT
    if name.startswith("emergency_"):
        return EMERGENCY
    return {"prank": PRANK, "out_of_scope": OUT_OF_SCOPE, FALLBACK_INTENT: JUNK}.get(name, OTHER)


@dataclass
class Traffic:
    conversations: Counter[str] = field(default_factory=Counter)  # per channel
    citizen: Counter[str] = field(default_factory=Counter)  # the citizens' messages per channel
    bot: Counter[str] = field(default_factory=Counter)  # the bot's (and the city's) per channel
    kinds: Counter[str] = field(default_factory=Counter)  # the citizens' messages per kind
    unsure: int = 0  # citizens' messages below the NLU inbox's confidence

    @property
    def messages(self) -> int:
        return sum(self.citizen.values())


async def traffic(conn: AsyncConnection, period: Period, unsure_below: float) -> Traffic:
    found = Traffic()
    started = (
        select(conversations.c.channel, func.count())
        .where(conversations.c.started_at >= period.start, conversations.c.started_at < period.end)
        .group_by(conversations.c.channel)
    )
    for channel, count in (await conn.execute(started)).all():
        found.conversations[channels.from_rasa(channel)] += count
    unsure = func.sum(case((events.c.confidence < unsure_below, 1), else_=0))
    grouped = (
        select(events.c.channel, events.c.kind, events.c.intent, func.count(), unsure)
        .where(events.c.at >= period.start, events.c.at < period.end)
        .where(events.c.kind.in_(("user", "bot")))
        .group_by(events.c.channel, events.c.kind, events.c.intent)
    )
    for channel, kind, intent, count, low in (await conn.execute(grouped)).all():
        if kind == "bot":
            found.bot[channels.from_rasa(channel)] += count
            continue
        found.citizen[channels.from_rasa(channel)] += count
        found.kinds[kind_of(intent)] += count
        found.unsure += int(low or 0)
    return found


@dataclass
class Daily:
    """The citizens' messages per WIB day, those the NLU did not understand,
    and those below the inbox's confidence threshold."""

    messages: Dict[date, int] = field(default_factory=dict)
    junk: Dict[date, int] = field(default_factory=dict)
    unsure: Dict[date, int] = field(default_factory=dict)


async def per_day(conn: AsyncConnection, period: Period, unsure_below: float) -> Daily:
    day = local_day(events.c.at, conn.dialect.name)
    statement = (
        select(
            day,
            func.count(),
            func.sum(case((events.c.intent == FALLBACK_INTENT, 1), else_=0)),
            func.sum(case((events.c.confidence < unsure_below, 1), else_=0)),
        )
        .where(events.c.at >= period.start, events.c.at < period.end, events.c.kind == "user")
        .group_by(day)
    )
    found = Daily()
    for value, count, junk, unsure in (await conn.execute(statement)).all():
        when = as_date(value)
        found.messages[when], found.junk[when], found.unsure[when] = count, junk or 0, unsure or 0
    return found

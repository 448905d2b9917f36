"""What citizens wrote, per channel, and what the NLU made of it, from the
pipeline's daily counts (they outlive the purged conversations): one grouped
read serves the channel table, the share of valid reports against prank,
junk and out-of-scope, and the NLU health."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, Optional, Tuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.monev.period import Period
from backend.monev.sql import as_date
from backend.pipeline import daily
from backend.pipeline.events import ACTION, BOT, USER
from backend.tables import message_days as days
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
    conversations: Counter[str] = field(default_factory=Counter)  # begun, per channel
    citizen: Counter[str] = field(default_factory=Counter)  # the citizens' messages per channel
    bot: Counter[str] = field(default_factory=Counter)  # the bot's (and the city's) per channel
    kinds: Counter[str] = field(default_factory=Counter)  # the citizens' messages per kind
    unsure: int = 0  # citizens' messages below the NLU inbox's confidence
    actions: Counter[str] = field(default_factory=Counter)  # the bot's actions by name

    @property
    def messages(self) -> int:
        return sum(self.citizen.values())


def unsure_bands(below: float) -> int:
    """The bands under the threshold (a threshold between bands is rounded to one)."""
    return round(below * daily.BANDS)


def _days(period: Period) -> Tuple[Any, ...]:
    return (days.c.day >= period.first, days.c.day <= period.last)


async def traffic(conn: AsyncConnection, period: Period, unsure_below: float) -> Traffic:
    """The period's counts from the pipeline's daily counts (backend/pipeline/daily.py)."""
    found = Traffic()
    under = unsure_bands(unsure_below)
    grouped = (
        select(days.c.channel, days.c.kind, days.c.name, days.c.band, func.sum(days.c.count))
        .where(*_days(period))
        .group_by(days.c.channel, days.c.kind, days.c.name, days.c.band)
    )
    for channel, kind, name, band, count in (await conn.execute(grouped)).all():
        if kind == daily.CONVERSATION:
            found.conversations[channel] += count
        elif kind == BOT:
            found.bot[channel] += count
        elif kind == ACTION:
            found.actions[name] += count
        elif kind == USER:
            found.citizen[channel] += count
            found.kinds[kind_of(name)] += count
            found.unsure += count if 0 <= band < under else 0
    return found


@dataclass
class Daily:
    """The citizens' messages per WIB day, those the NLU did not understand,
    and those below the inbox's confidence threshold."""

    messages: Dict[date, int] = field(default_factory=dict)
    junk: Dict[date, int] = field(default_factory=dict)
    unsure: Dict[date, int] = field(default_factory=dict)


async def per_day(conn: AsyncConnection, period: Period, unsure_below: float) -> Daily:
    under = unsure_bands(unsure_below)
    d = days.c
    statement = (
        select(
            d.day,
            func.sum(d.count),
            func.sum(case((d.name == FALLBACK_INTENT, d.count), else_=0)),
            func.sum(case((and_(d.band >= 0, d.band < under), d.count), else_=0)),
        )
        .where(*_days(period), d.kind == USER)
        .group_by(d.day)
    )
    found = Daily()
    for value, count, junk, unsure in (await conn.execute(statement)).all():
        when = as_date(value)
        found.messages[when], found.junk[when], found.unsure[when] = count, junk or 0, unsure or 0
    return found

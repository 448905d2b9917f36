"""The 112 voice line: calls per class (the figures the city already
reports: valid, ghost, prank), how long callers waited in the queue, and
what became of the calls that dropped. About the calls started in the period."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.monev.period import Period
from backend.monev.sql import as_date, local_day
from backend.monev.stats import spread
from backend.monev.table import COUNT, DURATION, Column, Table, compared
from backend.tables import incident_events, incidents, voice_calls
from lapor.timeutil import aware

UNSORTED = "unsorted"
CLASSES = (
    ("valid", "Sah (bicara atau menekan tombol)"),
    ("silent", "Sah, tidak bisa bicara (tekan 55)"),
    ("information", "Informasi (bukan darurat)"),
    ("prank", "Iseng (prank)"),
    ("ghost", "Hantu (diam atau terputus sebelum antre)"),
    (UNSORTED, "Belum dipilah (panggilan berlangsung)"),
)
QUEUES = (("main", "Antrean utama"), ("prank", "Antrean iseng"))


@dataclass(frozen=True)
class Call:
    call_class: str
    queue: Optional[str]
    queued_at: Optional[datetime]
    connected_at: Optional[datetime]
    dropped: bool

    def waited(self) -> Optional[float]:
        if self.queued_at is None or self.connected_at is None:
            return None
        return (aware(self.connected_at) - aware(self.queued_at)).total_seconds()


@dataclass(frozen=True)
class Calls:
    calls: List[Call]
    callbacks: int  # operators' call-backs (dropped callers rung back)

    @property
    def classes(self) -> Counter[str]:
        return Counter(c.call_class for c in self.calls)


async def load(conn: AsyncConnection, period: Period) -> Calls:
    v = voice_calls.c
    statement = select(v["class"], v.queue, v.queued_at, v.connected_at, v.dropped).where(
        v.started_at >= period.start, v.started_at < period.end
    )
    calls = [
        Call(row[0] or UNSORTED, row[1], row[2], row[3], bool(row[4]))
        for row in (await conn.execute(statement)).all()
    ]
    rung = (
        select(func.count())
        .select_from(
            incident_events.join(incidents, incidents.c.id == incident_events.c.incident_id)
        )
        .where(incident_events.c.kind == "callback", incidents.c.channel == "phone")
        .where(incident_events.c.at >= period.start, incident_events.c.at < period.end)
    )
    return Calls(calls, int((await conn.execute(rung)).scalar_one()))


async def class_counts(conn: AsyncConnection, period: Period) -> Counter[str]:
    v = voice_calls.c
    statement = (
        select(v["class"], func.count())
        .where(v.started_at >= period.start, v.started_at < period.end)
        .group_by(v["class"])
    )
    return Counter({(code or UNSORTED): n for code, n in (await conn.execute(statement)).all()})


async def per_day(conn: AsyncConnection, period: Period) -> Dict[date, int]:
    v = voice_calls.c
    day = local_day(v.started_at, conn.dialect.name)
    statement = (
        select(day, func.count())
        .where(v.started_at >= period.start, v.started_at < period.end)
        .group_by(day)
    )
    return {as_date(d): n for d, n in (await conn.execute(statement)).all()}


def per_class(now: Calls, before: Calls) -> Table:
    current, previous = now.classes, before.classes
    names = [
        (code, label)
        for code, label in CLASSES
        if current[code] or previous[code] or code != UNSORTED
    ]
    return compared(
        "telepon_jenis",
        "Panggilan 112 per jenis",
        "Jenis panggilan",
        names,
        current,
        previous,
        share_of=len(now.calls),
    )


def queue(now: Calls, before: Calls) -> Table:
    def counts(found: Calls) -> List[int]:
        queued = [c for c in found.calls if c.queued_at is not None]
        connected = sum(1 for c in queued if c.connected_at is not None)
        return [len(queued), connected, sum(1 for c in found.calls if c.dropped), found.callbacks]

    labels = (
        "Masuk antrean operator",
        "Tersambung ke operator",
        "Terputus saat menunggu",
        "Ditelepon balik operator",
    )
    rows = list(zip(labels, counts(now), counts(before), strict=True))
    columns = (Column("Angka"), Column("Periode ini", COUNT), Column("Periode sebelumnya", COUNT))
    return Table("telepon_antrean", "Antrean panggilan 112", columns, rows)


def waiting(now: Calls, before: Calls) -> Table:
    rows = []
    for code, label in (*QUEUES, (None, "Semua antrean")):
        current = spread(_waits(now, code))
        previous = spread(_waits(before, code))
        rows.append((label, current.n, current.median, current.p90, previous.median))
    columns = (
        Column("Antrean"),
        Column("Tersambung", COUNT),
        Column("Waktu tunggu, median", DURATION),
        Column("Waktu tunggu, p90", DURATION),
        Column("Median periode sebelumnya", DURATION),
    )
    note = "Dari masuk antrean sampai tersambung ke operator."
    return Table("telepon_tunggu", "Waktu tunggu penelepon", columns, rows, note)


def _waits(found: Calls, queue_code: Optional[str]) -> List[float]:
    picked = (c for c in found.calls if queue_code is None or c.queue == queue_code)
    return [w for w in (c.waited() for c in picked) if w is not None and w >= 0]

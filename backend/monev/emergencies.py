"""Emergencies, second by second: how long each step from the citizen's
message (or call) to the resolution took, and which waited for an operator
long enough to escalate. About the incidents received in the period."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.emergency.agencies import Directory
from backend.monev.period import Period
from backend.monev.sql import as_date, local_day
from backend.monev.stats import share, spread
from backend.monev.table import COUNT, DURATION, SHARE, Column, Table, compared
from backend.tables import incident_events, incidents
from lapor.timeutil import aware

# The steps the review asks about, between the incident's moments.
STAGES = (
    ("received", "alerted", "Pesan/panggilan masuk → tampil di konsol operator"),
    ("alerted", "accepted", "Tampil di konsol → diterima operator"),
    ("accepted", "dispatched", "Diterima operator → instansi dihubungi"),
    ("dispatched", "resolved", "Instansi dihubungi → selesai"),
    ("received", "resolved", "Seluruhnya: masuk → selesai"),
)


@dataclass(frozen=True)
class Incident:
    kind: str
    moments: Dict[str, Optional[datetime]]
    escalated: bool

    def seconds(self, start: str, end: str) -> Optional[float]:
        a, b = self.moments.get(start), self.moments.get(end)
        return None if a is None or b is None else (b - a).total_seconds()


async def load(conn: AsyncConnection, period: Period) -> List[Incident]:
    i = incidents.c
    dispatched = (
        select(func.min(incident_events.c.at))
        .where(incident_events.c.incident_id == i.id, incident_events.c.kind == "dispatched")
        .scalar_subquery()
    )
    statement = select(
        i.kind,
        i.received_at,
        i.alerted_at,
        i.accepted_at,
        dispatched,
        i.resolved_at,
        i.escalated_at,
    ).where(i.received_at >= period.start, i.received_at < period.end)
    found = []
    for kind, received, alerted, accepted, sent, resolved, escalated in (
        await conn.execute(statement)
    ).all():
        moments = dict(
            received=received,
            alerted=alerted,
            accepted=accepted,
            dispatched=sent,
            resolved=resolved,
        )
        found.append(
            Incident(
                kind,
                {k: aware(v) if v else None for k, v in moments.items()},
                escalated is not None,
            )
        )
    return found


async def kinds(conn: AsyncConnection, period: Period) -> Counter[str]:
    i = incidents.c
    statement = (
        select(i.kind, func.count())
        .where(i.received_at >= period.start, i.received_at < period.end)
        .group_by(i.kind)
    )
    return Counter(dict((await conn.execute(statement)).all()))


async def per_day(conn: AsyncConnection, period: Period) -> Dict[date, int]:
    day = local_day(incidents.c.received_at, conn.dialect.name)
    statement = (
        select(day, func.count())
        .where(incidents.c.received_at >= period.start, incidents.c.received_at < period.end)
        .group_by(day)
    )
    return {as_date(d): n for d, n in (await conn.execute(statement)).all()}


def per_kind(now: Counter[str], before: Counter[str], directory: Directory) -> Table:
    codes = [c for c in directory.types if now[c] or before[c]]
    codes += sorted(c for c in set(now) | set(before) if c not in directory.types)
    names = [(code, directory.label(code)) for code in codes]
    return compared(
        "darurat_jenis",
        "Kejadian darurat per jenis",
        "Jenis",
        names,
        now,
        before,
        share_of=sum(now.values()),
    )


def timings(now: List[Incident], before: List[Incident]) -> Table:
    rows: List[Tuple[Any, ...]] = []
    for start, end, label in STAGES:
        current = spread(_seconds(now, start, end))
        previous = spread(_seconds(before, start, end))
        rows.append((label, current.n, current.median, current.p90, previous.median))
    columns = (
        Column("Tahap"),
        Column("Kejadian", COUNT),
        Column("Median", DURATION),
        Column("p90", DURATION),
        Column("Median periode sebelumnya", DURATION),
    )
    note = (
        "p90: 9 dari 10 kejadian lebih cepat dari angka ini. Kejadian yang belum sampai "
        "ke suatu tahap tidak dihitung pada tahap itu."
    )
    return Table("darurat_waktu", "Waktu penanganan darurat", columns, rows, note)


def escalations(now: List[Incident], before: List[Incident]) -> Table:
    def counts(found: List[Incident]) -> Tuple[int, int, int]:
        escalated = [i for i in found if i.escalated]
        never = sum(1 for i in escalated if i.moments["accepted"] is None)
        return len(found), len(escalated), never

    total, escalated, never = counts(now)
    total_b, escalated_b, never_b = counts(before)
    rows = [
        ("Kejadian darurat", total, None, total_b),
        (
            "Dieskalasi karena belum diterima operator",
            escalated,
            share(escalated, total),
            escalated_b,
        ),
        ("…dan belum diterima sampai sekarang", never, share(never, total), never_b),
    ]
    columns = (
        Column("Angka"),
        Column("Periode ini", COUNT),
        Column("Bagian", SHARE),
        Column("Periode sebelumnya", COUNT),
    )
    return Table("darurat_eskalasi", "Eskalasi: kejadian yang menunggu operator", columns, rows)


def _seconds(found: List[Incident], start: str, end: str) -> List[float]:
    return [s for s in (i.seconds(start, end) for i in found) if s is not None and s >= 0]

"""The departments' tickets: how many came in, where, what became of them
and how fast the city answered.

Every figure is about the tickets *received in the period* (a cohort), as
they stand now: so "closed on time" and the response times of a month do not
change with what else happened that month. Duplicates merged into another
ticket are counted as received but left out of the times: they were closed
by the merge, not by the work.

The database does the counting (one GROUP BY per department, category and
kelurahan) and the percentiles (backend/monev/sql.py): a year is 100,000
tickets, too many to bring to Python for each view.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend import workflow
from backend.monev.period import Period
from backend.monev.sql import as_date, hours_between, local_day, spreads
from backend.monev.stats import Spread, change
from backend.monev.table import CHANGE, COUNT, DECIMAL, RATING, SHARE, Column, Table
from backend.tables import ticket_events, tickets
from lapor.catalogue import Catalogue
from lapor.wilayah import Wilayah

NO_PLACE = "(tanpa kelurahan)"
Key = Tuple[str, str, Optional[str]]  # department, service code, kelurahan code


@dataclass
class Counts:
    received: int = 0
    still_open: int = 0
    closed: int = 0
    overdue: int = 0  # open past its deadline
    timed: int = 0  # closed by the work (not merged as a duplicate)
    on_time: int = 0  # of those, closed before the deadline
    confirmed: int = 0  # the reporter said it is fixed
    rated: int = 0
    rating_sum: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True)
class Cohort:
    counts: Dict[Key, Counts]
    before: Counter[Tuple[str, str]]  # (department, service_code) -> received, previous period
    reopened: Counter[str]  # department -> tickets reopened by their reporter
    response: Dict[Optional[str], Spread]  # department (None: all) -> hours to first response
    resolution: Dict[Optional[str], Spread]  # department (None: all) -> hours to closing

    def total(self, belongs: Callable[[Key], bool] = lambda key: True) -> Counts:
        return sum((c for k, c in self.counts.items() if belongs(k)), Counts())

    def received_before(self, part: int) -> Counter[str]:
        """Received in the previous period, per department (0) or service code (1)."""
        found: Counter[str] = Counter()
        for key, count in self.before.items():
            found[key[part]] += count
        return found

    def by(self, part: int) -> Dict[Optional[str], Counts]:
        """Counts per department (0), service code (1) or kelurahan code (2)."""
        found: Dict[Optional[str], Counts] = {}
        for key, counts in self.counts.items():
            found[key[part]] = found.get(key[part], Counts()) + counts
        return found


async def load(conn: AsyncConnection, period: Period, now: datetime) -> Cohort:
    t = tickets.c
    dialect = conn.dialect.name
    closed = t.status == "closed"
    merged = t.workflow_status == workflow.DUPLICATE
    timed = and_(closed, ~merged)

    def number(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    counted = (
        select(
            t.agency_responsible,
            t.service_code,
            t.kelurahan_code,
            func.count(),
            number(~closed),
            number(closed),
            number(and_(~closed, t.expected_at < now)),
            number(timed),
            number(and_(timed, t.resolved_at <= t.expected_at)),
            number(t.closure_state == "confirmed"),
            func.count(t.citizen_rating),
            func.coalesce(func.sum(t.citizen_rating), 0),
        )
        .where(*_received(period))
        .group_by(t.agency_responsible, t.service_code, t.kelurahan_code)
    )
    counts = {
        (department, code, kelurahan): Counts(*(int(v or 0) for v in values))
        for department, code, kelurahan, *values in (await conn.execute(counted)).all()
    }
    earlier = (
        select(t.agency_responsible, t.service_code, func.count())
        .where(*_received(period.previous()))
        .group_by(t.agency_responsible, t.service_code)
    )
    before: Counter[Tuple[str, str]] = Counter()
    for department, code, count in (await conn.execute(earlier)).all():
        before[(department, code)] = count
    reopened_q = (
        select(t.agency_responsible, func.count(func.distinct(ticket_events.c.ticket_id)))
        .select_from(tickets.join(ticket_events, ticket_events.c.ticket_id == t.id))
        .where(*_received(period), ticket_events.c.kind == "reopen")
        .group_by(t.agency_responsible)
    )
    reopened = Counter(dict((await conn.execute(reopened_q)).all()))
    response = case(
        (~merged, hours_between(t.requested_at, t.first_response_at, dialect)), else_=None
    )
    resolution = case((timed, hours_between(t.requested_at, t.resolved_at, dialect)), else_=None)
    return Cohort(
        counts,
        before,
        reopened,
        await spreads(conn, t.agency_responsible, response, *_received(period)),
        await spreads(conn, t.agency_responsible, resolution, *_received(period)),
    )


def _received(period: Period) -> Tuple[Any, ...]:
    return (tickets.c.requested_at >= period.start, tickets.c.requested_at < period.end)


async def received_per_day(conn: AsyncConnection, period: Period) -> Dict[date, int]:
    day = local_day(tickets.c.requested_at, conn.dialect.name)
    statement = select(day, func.count()).where(*_received(period)).group_by(day)
    return {as_date(d): n for d, n in (await conn.execute(statement)).all()}


# -- the tables ---------------------------------------------------------------


def per_category(cohort: Cohort, catalogue: Catalogue) -> Table:
    before = cohort.received_before(1)
    groups = cohort.by(1)
    rows = []
    for code in _ordered(groups, before, catalogue.services):
        mine = groups.get(code, Counts())
        rows.append(
            (
                _service(catalogue, code),
                mine.received,
                mine.still_open,
                mine.closed,
                before[code],
                change(mine.received, before[code]),
            )
        )
    columns = (
        Column("Kategori"),
        Column("Masuk", COUNT),
        Column("Masih terbuka", COUNT),
        Column("Ditutup", COUNT),
        Column("Masuk periode sebelumnya", COUNT),
        Column("Perubahan", CHANGE),
    )
    return Table("laporan_kategori", "Laporan per kategori", columns, rows)


def per_department(cohort: Cohort, catalogue: Catalogue) -> Table:
    before = cohort.received_before(0)
    groups = cohort.by(0)
    rows = []
    for code in _ordered(groups, before, catalogue.departments):
        mine = groups.get(code, Counts())
        rows.append(
            (
                _department(catalogue, code),
                mine.received,
                before[code],
                change(mine.received, before[code]),
                mine.still_open,
                mine.overdue,
                mine.closed,
                mine.on_time,
                mine.on_time / mine.timed if mine.timed else None,
            )
        )
    columns = (
        Column("Dinas"),
        Column("Masuk", COUNT),
        Column("Masuk periode sebelumnya", COUNT),
        Column("Perubahan", CHANGE),
        Column("Masih terbuka", COUNT),
        Column("Terlambat", COUNT),
        Column("Ditutup", COUNT),
        Column("Ditutup tepat waktu", COUNT),
        Column("Tepat waktu", SHARE),
    )
    note = (
        "Laporan yang masuk pada periode ini, dengan statusnya sekarang. Terlambat: masih "
        "terbuka melewati tenggat. Tepat waktu: bagian dari laporan yang ditutup (tanpa "
        "laporan duplikat yang digabung) yang ditutup paling lambat pada tenggatnya."
    )
    return Table("laporan_dinas", "Laporan per dinas", columns, rows, note)


def times(cohort: Cohort, catalogue: Catalogue) -> Table:
    rows: List[Tuple[Any, ...]] = []
    for code in _ordered(cohort.by(0), Counter(), catalogue.departments):
        rows.append((_department(catalogue, code), *_times(cohort, code)))
    rows.append(("Semua dinas", *_times(cohort, None)))
    columns = (
        Column("Dinas"),
        Column("Direspons (laporan)", COUNT),
        Column("Respons pertama, median (jam)", DECIMAL),
        Column("Respons pertama, p90 (jam)", DECIMAL),
        Column("Diselesaikan (laporan)", COUNT),
        Column("Penyelesaian, median (jam)", DECIMAL),
        Column("Penyelesaian, p90 (jam)", DECIMAL),
    )
    note = (
        "Respons pertama: dari laporan masuk sampai tindakan pertama petugas (verifikasi, "
        "status, pertanyaan, pengalihan). Penyelesaian: sampai laporan ditutup. p90: 9 dari "
        "10 laporan lebih cepat dari angka ini."
    )
    return Table("waktu_dinas", "Kecepatan respons dan penyelesaian per dinas", columns, rows, note)


def _times(cohort: Cohort, department: Optional[str]) -> Tuple[Any, ...]:
    response = cohort.response.get(department, Spread(0, None, None))
    resolution = cohort.resolution.get(department, Spread(0, None, None))
    return (
        response.n,
        response.median,
        response.p90,
        resolution.n,
        resolution.median,
        resolution.p90,
    )


def satisfaction(cohort: Cohort, catalogue: Catalogue) -> Table:
    groups = cohort.by(0)
    rows = []
    for code in _ordered(groups, Counter(), catalogue.departments):
        mine = groups.get(code, Counts())
        rows.append(
            (
                _department(catalogue, code),
                mine.confirmed,
                cohort.reopened.get(code, 0),
                mine.rated,
                mine.rating_sum / mine.rated if mine.rated else None,
            )
        )
    columns = (
        Column("Dinas"),
        Column("Dikonfirmasi beres oleh pelapor", COUNT),
        Column("Dibuka kembali oleh pelapor", COUNT),
        Column("Penilaian (jumlah)", COUNT),
        Column("Penilaian rata-rata (1–5)", RATING),
    )
    return Table("kepuasan_dinas", "Tanggapan pelapor per dinas", columns, rows)


def per_kelurahan(cohort: Cohort, wilayah: Wilayah) -> Table:
    groups = cohort.by(2)
    rows = []
    for area in sorted(wilayah.kelurahan, key=lambda a: (a.kecamatan or "", a.name)):
        mine = groups.get(area.code, Counts())
        rows.append((area.name, area.kecamatan or "", mine.received, mine.still_open, mine.closed))
    known = {a.code for a in wilayah.kelurahan}
    elsewhere = cohort.total(lambda key: key[2] not in known)
    rows.append((NO_PLACE, "", elsewhere.received, elsewhere.still_open, elsewhere.closed))
    columns = (
        Column("Kelurahan"),
        Column("Kecamatan"),
        Column("Masuk", COUNT),
        Column("Masih terbuka", COUNT),
        Column("Ditutup", COUNT),
    )
    return Table("laporan_kelurahan", "Laporan per kelurahan", columns, rows)


def per_kecamatan(cohort: Cohort, wilayah: Wilayah) -> Table:
    kecamatan = {a.code: a.kecamatan or NO_PLACE for a in wilayah.kelurahan}
    names = [*sorted({k for k in kecamatan.values() if k != NO_PLACE}), NO_PLACE]
    per_name: Dict[str, Counts] = {}
    for code, counts in cohort.by(2).items():
        name = kecamatan.get(code or "", NO_PLACE)
        per_name[name] = per_name.get(name, Counts()) + counts
    rows = []
    for name in names:
        mine = per_name.get(name, Counts())
        rows.append((name, mine.received, mine.still_open, mine.closed))
    columns = (
        Column("Kecamatan"),
        Column("Masuk", COUNT),
        Column("Masih terbuka", COUNT),
        Column("Ditutup", COUNT),
    )
    return Table("laporan_kecamatan", "Laporan per kecamatan", columns, rows)


def kelurahan_counts(cohort: Cohort) -> Counter[str]:
    """Tickets received per kelurahan code: the map's shading."""
    return Counter({code: c.received for code, c in cohort.by(2).items() if code})


# -- helpers ------------------------------------------------------------------


def _ordered(
    groups: Dict[Optional[str], Any], before: Counter[str], known: Iterable[str]
) -> List[str]:
    """Every code with a figure in either period: the catalogue's order, then strangers."""
    present = {code for code in groups if code} | {code for code, n in before.items() if n}
    order = list(known)
    return [c for c in order if c in present] + sorted(present - set(order))


def _service(catalogue: Catalogue, code: str) -> str:
    service = catalogue.service(code)
    return service.name if service else code


def _department(catalogue: Catalogue, code: str) -> str:
    department = catalogue.departments.get(code)
    return department.name if department else code

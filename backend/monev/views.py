"""The dashboard's views: each a list of figure tables and the charts drawn
from them, for one period compared with the one before. The printed report
is every view; the CSV export is any one table of a view."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Awaitable, Callable, Dict, List, Optional, Tuple

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import kelurahan_map
from backend.emergency.agencies import Directory
from backend.monev import calls, charts, conversations, emergencies, nlu, places, tickets
from backend.monev.period import Period
from backend.monev.stats import change
from backend.monev.table import CHANGE, COUNT, Column, Table, compared
from lapor.catalogue import Catalogue
from lapor.wilayah import Wilayah

VALID_CALLS = ("valid", "silent")


@dataclass(frozen=True)
class Sources:
    """What the figures are named and placed by, besides the database."""

    catalogue: Catalogue
    wilayah: Wilayah
    directory: Directory
    unsure_below: float  # the NLU inbox's confidence threshold
    now: datetime


@dataclass
class Chart:
    title: str
    trend: Optional[charts.Trend] = None
    bars: Optional[charts.Bars] = None


@dataclass
class View:
    key: str
    title: str
    period: Period
    tables: List[Table] = field(default_factory=list)
    charts: List[Chart] = field(default_factory=list)
    map: Optional[kelurahan_map.Map] = None
    map_title: str = ""

    def table(self, key: str) -> Optional[Table]:
        return next((t for t in self.tables if t.key == key), None)


Builder = Callable[[AsyncConnection, Period, Sources], Awaitable[View]]


@dataclass
class Totals:
    """One period's counts for the summary: the messages, and each series per day."""

    traffic: conversations.Traffic
    daily: Dict[str, Dict[date, int]]
    calls: Counter[str]  # per class
    kinds: Counter[str]  # incidents per type

    def total(self, series: str) -> int:
        return sum(self.daily[series].values())


async def totals(conn: AsyncConnection, period: Period, sources: Sources) -> Totals:
    messages = await conversations.per_day(conn, period, sources.unsure_below)
    daily = {
        "Pesan warga": messages.messages,
        "Laporan dinas": await tickets.received_per_day(conn, period),
        "Kejadian darurat": await emergencies.per_day(conn, period),
        "Panggilan 112": await calls.per_day(conn, period),
    }
    return Totals(
        await conversations.traffic(conn, period, sources.unsure_below),
        daily,
        await calls.class_counts(conn, period),
        await emergencies.kinds(conn, period),
    )


async def summary(conn: AsyncConnection, period: Period, sources: Sources) -> View:
    now, before = (
        await totals(conn, period, sources),
        await totals(conn, period.previous(), sources),
    )
    view = View("ringkasan", "Ringkasan", period)
    view.tables = [
        headline(now, before),
        channels_table(now.traffic, before.traffic),
        message_kinds(now.traffic, before.traffic),
        emergencies.per_kind(now.kinds, before.kinds, sources.directory),
        daily_table(period.each_day(), now.daily),
    ]
    days = period.each_day()
    others = [(n, now.daily[n]) for n in ("Laporan dinas", "Kejadian darurat", "Panggilan 112")]
    view.charts = [
        Chart(
            "Pesan warga per hari",
            trend=charts.trend(days, [("Pesan warga", now.daily["Pesan warga"])]),
        ),
        Chart(
            "Laporan dinas, kejadian darurat dan panggilan 112 per hari",
            trend=charts.trend(days, others),
        ),
    ]
    return view


def headline(now: Totals, before: Totals) -> Table:
    def valid(found: Totals) -> int:
        return sum(found.calls[c] for c in VALID_CALLS)

    figures = [
        ("Warga baru (pesan pertama)", lambda t: sum(t.traffic.conversations.values())),
        ("Pesan warga", lambda t: t.traffic.messages),
        ("Laporan dinas masuk", lambda t: t.total("Laporan dinas")),
        ("Kejadian darurat", lambda t: t.total("Kejadian darurat")),
        ("Panggilan 112", lambda t: sum(t.calls.values())),
        ("Panggilan 112 sah", valid),
        ("Panggilan 112 iseng", lambda t: t.calls["prank"]),
    ]
    columns = (
        Column("Angka"),
        Column("Periode ini", COUNT),
        Column("Periode sebelumnya", COUNT),
        Column("Perubahan", CHANGE),
    )
    rows = [(name, of(now), of(before), change(of(now), of(before))) for name, of in figures]
    return Table("ringkasan", "Angka utama", columns, rows)


def channels_table(now: conversations.Traffic, before: conversations.Traffic) -> Table:
    rows = [
        (
            label,
            now.conversations[code],
            now.citizen[code],
            now.bot[code],
            before.conversations[code],
            before.citizen[code],
        )
        for code, label in conversations.CHANNELS
        if now.conversations[code] or now.citizen[code] or before.citizen[code] or code != "other"
    ]
    columns = (
        Column("Kanal"),
        Column("Warga baru", COUNT),
        Column("Pesan warga", COUNT),
        Column("Pesan bot dan petugas", COUNT),
        Column("Warga baru periode sebelumnya", COUNT),
        Column("Pesan warga periode sebelumnya", COUNT),
    )
    note = (
        "Warga baru: nomor WhatsApp atau sesi web chat yang mengirim pesan pertamanya pada "
        "periode ini. Pesan bot dihitung pada kanal percakapannya."
    )
    return Table("kanal", "Warga dan pesan per kanal", columns, rows, note)


def message_kinds(now: conversations.Traffic, before: conversations.Traffic) -> Table:
    note = (
        "Menurut maksud (intent) yang dikenali bot pada setiap pesan warga. Aduan dan darurat "
        "adalah laporan sah; iseng, tidak dipahami dan di luar layanan bukan laporan."
    )
    return compared(
        "jenis_pesan",
        "Laporan sah dibanding iseng, sampah dan di luar layanan",
        "Jenis pesan",
        conversations.KINDS,
        now.kinds,
        before.kinds,
        note=note,
        share_of=now.messages,
    )


def short_name(name: str) -> str:
    """A department as a chart's axis can hold it: "Dinas Pekerjaan Umum dan
    Penataan Ruang (PUPR)" is "PUPR"; a name without an abbreviation stays."""
    if name.endswith(")") and "(" in name:
        return name[name.rindex("(") + 1 : -1]
    return name


def daily_table(days: List[date], daily: Dict[str, Dict[date, int]]) -> Table:
    names = list(daily)
    rows = [(day.isoformat(), *(daily[n].get(day, 0) for n in names)) for day in days]
    columns = (Column("Tanggal"), *(Column(n, COUNT) for n in names))
    return Table("tren_harian", "Angka per hari", columns, rows)


async def ticket_view(conn: AsyncConnection, period: Period, sources: Sources) -> View:
    view = View("laporan", "Laporan dinas", period)
    cohort = await tickets.load(conn, period, sources.now)
    per_department = tickets.per_department(cohort, sources.catalogue)
    view.tables = [
        per_department,
        tickets.times(cohort, sources.catalogue),
        tickets.satisfaction(cohort, sources.catalogue),
        tickets.per_category(cohort, sources.catalogue),
        tickets.per_kecamatan(cohort, sources.wilayah),
        tickets.per_kelurahan(cohort, sources.wilayah),
        await places.repeated(conn, period, sources.catalogue, sources.wilayah),
    ]
    items = [
        (short_name(row[0]), (row[1], row[6])) for row in per_department.rows
    ]  # Masuk, Ditutup
    view.charts = [Chart("Laporan per dinas", bars=charts.bars(("Masuk", "Ditutup"), items))]
    view.map = kelurahan_map.shaded(sources.wilayah, tickets.kelurahan_counts(cohort))
    view.map_title = "Laporan masuk per kelurahan"
    return view


async def emergency_view(conn: AsyncConnection, period: Period, sources: Sources) -> View:
    view = View("darurat", "Darurat dan telepon 112", period)
    earlier = period.previous()
    found, found_b = await emergencies.load(conn, period), await emergencies.load(conn, earlier)
    kinds, kinds_b = Counter(i.kind for i in found), Counter(i.kind for i in found_b)
    rung, rung_b = await calls.load(conn, period), await calls.load(conn, earlier)
    classes = calls.per_class(rung, rung_b)
    per_kind = emergencies.per_kind(kinds, kinds_b, sources.directory)
    measures = ("Periode ini", "Periode sebelumnya")
    view.charts = [
        Chart("Kejadian darurat per jenis", bars=charts.bars(measures, _now_and_before(per_kind))),
        Chart("Panggilan 112 per jenis", bars=charts.bars(measures, _now_and_before(classes))),
    ]
    view.tables = [
        emergencies.timings(found, found_b),
        emergencies.escalations(found, found_b),
        per_kind,
        classes,
        calls.queue(rung, rung_b),
        calls.waiting(rung, rung_b),
    ]
    return view


def _now_and_before(table: Table) -> List[Tuple[str, Tuple[int, int]]]:
    """A compared table's rows as bars: the name (before any parenthesis), now, before."""
    return [(row[0].split(" (")[0], (row[1], row[3])) for row in table.rows]


async def bot_view(conn: AsyncConnection, period: Period, sources: Sources) -> View:
    view = View("bot", "Bot dan NLU", period)
    earlier = period.previous()
    traffic = await conversations.traffic(conn, period, sources.unsure_below)
    traffic_b = await conversations.traffic(conn, earlier, sources.unsure_below)
    taught = await nlu.teaching(conn, period), await nlu.teaching(conn, earlier)
    daily = await conversations.per_day(conn, period, sources.unsure_below)
    lines = [("Tidak dipahami (fallback)", daily.junk), ("Keyakinan rendah", daily.unsure)]
    view.charts = [
        Chart("Pesan yang membuat bot ragu, per hari", trend=charts.trend(period.each_day(), lines))
    ]
    view.tables = [
        nlu.health((traffic, traffic_b), taught, sources.unsure_below),
        message_kinds(traffic, traffic_b),
    ]
    return view


# The views in the dashboard's order: (url part, tab label, builder).
VIEWS: Tuple[Tuple[str, str, Builder], ...] = (
    ("ringkasan", "Ringkasan", summary),
    ("laporan", "Laporan dinas", ticket_view),
    ("darurat", "Darurat dan 112", emergency_view),
    ("bot", "Bot dan NLU", bot_view),
)
# Which view holds each table, for the CSV export (tests check it against the views).
TABLES: Dict[str, str] = {
    "ringkasan": "ringkasan",
    "kanal": "ringkasan",
    "jenis_pesan": "ringkasan",
    "darurat_jenis": "ringkasan",
    "tren_harian": "ringkasan",
    "laporan_dinas": "laporan",
    "waktu_dinas": "laporan",
    "kepuasan_dinas": "laporan",
    "laporan_kategori": "laporan",
    "laporan_kecamatan": "laporan",
    "laporan_kelurahan": "laporan",
    "tempat_berulang": "laporan",
    "darurat_waktu": "darurat",
    "darurat_eskalasi": "darurat",
    "telepon_jenis": "darurat",
    "telepon_antrean": "darurat",
    "telepon_tunggu": "darurat",
    "nlu_kesehatan": "bot",
}


def builder(key: str) -> Optional[Builder]:
    return next((b for k, _, b in VIEWS if k == key), None)


async def build(engine: AsyncEngine, key: str, period: Period, sources: Sources) -> View:
    make = builder(key)
    if make is None:
        raise KeyError(key)
    async with engine.connect() as conn:
        return await make(conn, period, sources)

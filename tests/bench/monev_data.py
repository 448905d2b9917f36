"""A year of synthetic Kota Kediri traffic for the monitoring (monev) benchmark.

The monev figures read a year of conversations, tickets, 112 incidents and
voice calls; timing them on an empty or tiny database says nothing. This
module fills an already migrated, empty PostgreSQL database with the 365 days
before `now`: users (operators, department staff), conversations and their
message events, tickets and their histories, incidents and their timelines,
voice calls and the content editors' inbox decisions.

The shapes follow what the application itself writes (backend/tickets.py,
closure.py, merging.py, deadlines.py, emergency/, voice/), so the figures
come out plausible: more traffic on weekdays and in the daytime (WIB), a
department-dependent pace of first responses and resolutions, late tickets
escalated along data/deadlines.yml, clusters of duplicates merged into a
ticket that was still open, 112 calls mostly ghosts and pranks.

Rows go in with asyncpg's COPY in chunks, with explicit ids (so rows can point
at each other without reading back), then the sequences are moved past them
and the tables analysed. Deterministic for a seed.

    python -m tests.bench.monev_data --database-url postgresql://... --scale 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import json
import math
import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import accumulate
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import asyncpg
from argon2 import PasswordHasher
from sqlalchemy import text as sql_text
from sqlalchemy.engine import make_url

from backend import deadlines
from backend.emergency import agencies
from backend.pipeline import daily
from lapor import waits
from lapor.catalogue import Catalogue, load_catalogue
from lapor.db import async_url, create_engine
from lapor.paths import SERVICES_FILE
from lapor.wilayah import Area, load_wilayah
from tests import servers

# Every user made here signs in with this password (a benchmark may drive the console).
BENCH_PASSWORD = "monev-bench-password"
CHUNK = 50_000  # rows per COPY: keeps memory modest, COPY overhead negligible
DAY = 86_400.0
HOUR = 3_600.0
WIB_OFFSET = 7 * HOUR
Row = Tuple[Any, ...]
Progress = Callable[[str], None]

# -- traffic shapes ------------------------------------------------------------

# Relative traffic per WIB hour of the day (0..23) and per weekday (Mon..Sun).
OFFICE_HOURS = (1, 1, 1, 1, 2, 5, 12, 25, 40, 45, 42, 38,
                30, 32, 35, 30, 24, 20, 22, 24, 22, 16, 9, 4)  # fmt: skip
CHAT_HOURS = (3, 2, 1, 1, 2, 6, 12, 22, 32, 36, 35, 32,
              28, 30, 32, 30, 28, 30, 36, 42, 40, 30, 18, 8)  # fmt: skip
EMERGENCY_HOURS = (6, 5, 4, 4, 5, 7, 10, 14, 16, 16, 15, 15,
                   15, 15, 16, 17, 18, 19, 20, 20, 18, 15, 11, 8)  # fmt: skip
WORK_WEEK = (1.15, 1.1, 1.1, 1.05, 1.0, 0.7, 0.6)
ALL_WEEK = (1.0, 1.0, 1.0, 1.0, 1.05, 1.15, 1.1)

# Share of tickets per service (the rest of the catalogue gets a small share).
SERVICE_SHARE = {
    "road": 15, "street_light": 13, "waste": 13, "drainage": 11, "other": 10, "water": 9,
    "social_aid": 8, "tree": 6, "public_order": 5, "health": 4, "education": 3,
    "civil_registry": 3,
}  # fmt: skip
# Per department: median hours to the first response, median days to resolve.
# They differ on purpose, so the per-department figures differ too.
DEPARTMENT_PACE = {
    "dishub": (3.0, 2.5), "dpupr": (14.0, 8.0), "dlhkp": (5.0, 2.0), "dinsos": (30.0, 9.0),
    "dindik": (20.0, 7.0), "pdam": (1.5, 1.2), "dinkes": (8.0, 4.0), "satpolpp": (4.0, 3.0),
    "dispendukcapil": (12.0, 5.0), "diskominfo": (1.0, 3.0),
}  # fmt: skip
TICKET_CHANNELS = (("whatsapp", 72), ("webchat", 20), ("open311", 8))

# -- what people write ---------------------------------------------------------

USER_TEXTS: Dict[str, Tuple[str, ...]] = {
    "report": (
        "Lampu jalan di depan masjid mati sudah seminggu",
        "Jalan berlubang di Jl. Veteran, bahaya untuk motor",
        "Sampah menumpuk di pinggir sungai belum diangkut",
        "Saluran air mampet, kalau hujan pasti banjir",
        "Air PDAM tidak mengalir sejak kemarin sore",
        "Bantuan PKH ibu saya belum cair bulan ini",
    ),
    "emergency": (
        "Tolong ada kebakaran rumah dekat pasar",
        "Ada kecelakaan motor di perempatan, korbannya luka",
        "Tetangga saya pingsan, butuh ambulans segera",
    ),
    "prank": ("wkwkwk tes doang", "halo mbak cantik, boleh kenalan?"),
    "out_of_scope": ("Jadwal bioskop hari ini apa ya?", "Harga cabai di pasar berapa sekarang"),
    "nlu_fallback": ("yg kmrn gmn min", "p", "itu loh yang di sana"),
    "greet": ("Halo", "Selamat pagi mbak", "Assalamualaikum"),
    "thank": ("Terima kasih", "Makasih banyak mbak"),
    "affirm": ("Iya benar", "Ya"),
    "deny": ("Bukan", "Tidak, salah"),
    "check_status": ("Laporan saya sudah sampai mana ya?",),
    "inform_location": ("Di Kelurahan Bandar Lor, RT 02 RW 05", "Jl. Dhoho dekat alun-alun"),
    "choose_category": ("Jalan rusak", "Sampah"),
}
BOT_TEXTS = (
    "Halo! Saya Mbak Wali 112. Ada yang bisa saya bantu?",
    "Baik, mohon kirim lokasi kejadiannya.",
    "Terima kasih, laporan Anda sudah kami terima.",
    "Mohon maaf, saya belum mengerti. Bisa diulang dengan kalimat lain?",
    "Apakah ada foto kejadiannya? Jika tidak ada, pilih Lewati.",
    "Operator 112 sudah menerima laporan darurat Anda.",
    "Laporan Anda sedang ditangani oleh dinas terkait.",
    "Sama-sama, semoga harinya menyenangkan.",
)
# The rest of a user message's intents (what is left after report_*,
# emergency_*, prank, out_of_scope and nlu_fallback), in percent.
SMALL_TALK = {
    "greet": 8, "thank": 5, "affirm": 6, "deny": 3, "check_status": 4,
    "inform_location": 6, "choose_category": 4,
}  # fmt: skip
EMERGENCY_SHARE = {
    "emergency_fire": 15, "emergency_accident": 30, "emergency_medical": 35,
    "emergency_disaster": 5, "emergency_crime": 15,
}  # fmt: skip
STREETS = ("Jl. Veteran", "Jl. Dhoho", "Jl. Hayam Wuruk", "Jl. Brawijaya", "Jl. Joyoboyo")
RESPONSE_NOTES = (
    "Laporan diterima dan diteruskan ke petugas lapangan.",
    "Petugas akan survei lokasi.",
)
CLOSING_NOTES = {
    "selesai": "Sudah ditangani petugas, terima kasih atas laporannya.",
    "ditolak": "Bukan kewenangan Pemerintah Kota Kediri; silakan hubungi instansi terkait.",
}
MERGE_NOTE = "Laporan yang sama sudah kami terima sebagai {0} dan sedang ditangani di sana."
CITIZEN = "Pelapor (warga)"  # backend/asking.py
INCIDENT_TEXTS = {
    "emergency_fire": "Ada kebakaran rumah, apinya besar",
    "emergency_accident": "Kecelakaan motor dan mobil, ada korban",
    "emergency_medical": "Ibu saya sesak napas, tolong ambulans",
    "emergency_disaster": "Banjir masuk rumah warga setinggi lutut",
    "emergency_crime": "Ada penjambretan barusan di jalan",
    "emergency_call": "Panggilan telepon 112",
    "emergency_call_followup": "Maaf tadi telepon terputus, ada orang jatuh di jalan",
}
# Chat incidents per kind; 112 phone calls make a fifth of all incidents.
INCIDENT_KINDS = {
    "emergency_fire": 10, "emergency_accident": 28, "emergency_medical": 30,
    "emergency_disaster": 6, "emergency_crime": 14, "emergency_call_followup": 12,
}  # fmt: skip
# The 112 voice line's mix in Kediri: most calls are ghosts (nobody speaks) or pranks.
CALL_CLASSES = {"ghost": 72, "prank": 21, "valid": 4, "information": 2, "silent": 1}
RESOLUTION = "Petugas sudah di lokasi, pelapor aman."
DIGITS = {"keys": "1", "silent55": "55"}  # what the caller pressed, by route
CALL_SPEECH = ("tolong ada kecelakaan", "mau tanya nomor pemadam", "halo halo", "ada kebakaran")

# -- people --------------------------------------------------------------------

OPERATORS = ("rahma", "dimas", "sinta", "yoga", "putri", "arif")
STAFF_NAMES = (
    "budi", "sri", "agus", "dewi", "eko", "rina", "joko", "wati", "hadi", "ani",
    "bambang", "yuni", "teguh", "lestari", "andi", "sari", "dwi", "nur", "fajar", "indah",
)  # fmt: skip
OTHERS = (("kepala.regu", "operator_supervisor", None), ("editor.konten", "editor", None),
          ("monev.bappeda", "monev", None), ("triage.kominfo", "triage", "diskominfo"),
          ("admin.kota", "admin", None))  # fmt: skip


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    display_name: str
    role: str
    department: Optional[str]

    @property
    def actor(self) -> str:
        """How the console names a person in a ticket's history (backend/console/tickets.py)."""
        return f"{self.display_name} ({self.username})"


def _people(departments: Sequence[str]) -> List[Person]:
    made: List[Person] = []

    def add(username: str, role: str, department: Optional[str]) -> None:
        # "op.rahma" is Rahma, "budi.dpupr" Budi, "kepala.regu" Kepala Regu.
        words = username.removeprefix("op.").split(".")
        name = " ".join(words if department is None and role != "operator" else words[:1]).title()
        made.append(Person(len(made) + 1, username, name, role, department))

    for name in OPERATORS:
        add(f"op.{name}", "operator", None)
    for index, code in enumerate(departments):
        add(f"{STAFF_NAMES[(2 * index) % len(STAFF_NAMES)]}.{code}", "staff", code)
        add(f"{STAFF_NAMES[(2 * index + 1) % len(STAFF_NAMES)]}.{code}", "staff_head", code)
    for username, role, department in OTHERS:
        add(username, role, department)
    return made


# -- the generator's shared state ------------------------------------------------


@dataclass
class World:
    """What every table's generator draws from: the seed, the year, the city."""

    rng: random.Random
    now: float  # epoch seconds
    catalogue: Catalogue
    kelurahan: Tuple[Area, ...]
    kelurahan_cum: List[float]
    people: List[Person]
    profiles: Dict[str, List[float]] = field(default_factory=dict)

    @property
    def start(self) -> float:
        return self.now - 365 * DAY

    def times(self, profile: str, count: int) -> List[float]:
        """`count` sorted instants of the year, shaped by the profile."""
        cum = self.profiles[profile]
        hours = self.rng.choices(range(len(cum)), cum_weights=cum, k=count)
        start, rand = self.start, self.rng.random
        return sorted(start + h * HOUR + rand() * HOUR for h in hours)

    def area(self) -> Area:
        return self.rng.choices(self.kelurahan, cum_weights=self.kelurahan_cum)[0]

    def near(self, area: Area) -> Tuple[float, float]:
        """(lat, lon) a few hundred metres from the kelurahan's centroid."""
        lon, lat = area.centroid
        return lat + self.rng.gauss(0, 0.003), lon + self.rng.gauss(0, 0.003)

    def staff(self, department: str) -> Person:
        chosen = [p for p in self.people if p.department == department and p.role != "triage"]
        return self.rng.choice(chosen or self.people)

    def operator(self) -> Person:
        return self.rng.choice(self.people[: len(OPERATORS)])  # _people makes them first


def _profile(start: float, hours: Sequence[int], week: Sequence[float]) -> List[float]:
    """Cumulative weights of the year's 8,760 hours; traffic grows a little over
    the year as more citizens learn of the service."""
    weights = []
    total = 365 * 24
    for h in range(total):
        local = datetime.fromtimestamp(start + h * HOUR + WIB_OFFSET, timezone.utc)
        weights.append(hours[local.hour] * week[local.weekday()] * (0.8 + 0.4 * h / total))
    return list(accumulate(weights))


def _world(now: datetime, seed: int) -> World:
    rng = random.Random(seed)
    catalogue = load_catalogue(SERVICES_FILE)
    kelurahan = load_wilayah().kelurahan
    # Some kelurahan report far more than others (density, a vocal RT).
    kelurahan_cum = list(accumulate(rng.lognormvariate(0, 0.5) for _ in kelurahan))
    world = World(rng, now.timestamp(), catalogue, kelurahan, kelurahan_cum,
                  _people(list(catalogue.departments)))  # fmt: skip
    for name, hours, week in (("office", OFFICE_HOURS, WORK_WEEK), ("chat", CHAT_HOURS, WORK_WEEK),
                              ("emergency", EMERGENCY_HOURS, ALL_WEEK)):  # fmt: skip
        world.profiles[name] = _profile(world.start, hours, week)
    return world


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def _lognormal(rng: random.Random, median: float, sigma: float, low: float, high: float) -> float:
    return min(high, max(low, median * math.exp(rng.gauss(0, sigma))))


def _pick(rng: random.Random, weights: Dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# -- COPY ------------------------------------------------------------------------


class Copier:
    """COPYs rows into one connection and counts them per table."""

    def __init__(self, conn: asyncpg.Connection, progress: Progress) -> None:
        self.conn = conn
        self.progress = progress
        self.counts: Dict[str, int] = {}

    async def copy(self, table: str, columns: Sequence[str], rows: List[Row]) -> None:
        if rows:
            await self.conn.copy_records_to_table(table, records=rows, columns=list(columns))
        self.counts[table] = self.counts.get(table, 0) + len(rows)

    def report(self, table: str, total: int) -> None:
        self.progress(f"{table}: {self.counts.get(table, 0)}/{total}")


# -- users ---------------------------------------------------------------------


async def _users(world: World, copier: Copier) -> None:
    password = PasswordHasher().hash(BENCH_PASSWORD)
    created = _at(world.start - 30 * DAY)
    rows = [
        (p.id, p.username, p.display_name, password, p.department, None, True, 0, created, created)
        for p in world.people
    ]
    columns = ("id", "username", "display_name", "password_hash", "department_code", "phone",
               "active", "failed_logins", "password_changed_at", "created_at")  # fmt: skip
    await copier.copy("users", columns, rows)
    await copier.copy("user_roles", ("user_id", "role"), [(p.id, p.role) for p in world.people])


# -- conversations -----------------------------------------------------------------

CONVERSATION_COLUMNS = ("id", "sender_key", "channel", "started_at", "last_event_at",
                        "user_messages", "bot_messages")  # fmt: skip
EVENT_COLUMNS = ("id", "conversation_id", "event_key", "kind", "at", "text", "intent",
                 "confidence", "channel", "origin")  # fmt: skip


@dataclass
class Inbox:
    """A uniform sample (reservoir) of the messages the NLU was unsure of: the
    editors' inbox, from which their decisions are drawn."""

    size: int
    seen: int = 0
    picked: List[Tuple[int, float, str, str]] = field(default_factory=list)  # id, at, intent, text

    def offer(self, rng: random.Random, item: Tuple[int, float, str, str]) -> None:
        self.seen += 1
        if len(self.picked) < self.size:
            self.picked.append(item)
        else:
            slot = rng.randrange(self.seen)
            if slot < self.size:
                self.picked[slot] = item


class Talk:
    """Makes conversations: who writes what, with which intent and confidence."""

    def __init__(self, world: World, inbox: Inbox) -> None:
        self.world = world
        self.inbox = inbox
        self.intents, self.intent_cum = self._intents(world.catalogue)
        self.next_event = 1

    @staticmethod
    def _intents(catalogue: Catalogue) -> Tuple[List[str], List[float]]:
        weights: Dict[str, float] = {}
        reports = {c: SERVICE_SHARE.get(c, 3) for c in catalogue.services if c != "other"}
        for code, share in reports.items():  # report_* together 40%
            weights[f"report_{code}"] = 40 * share / sum(reports.values())
        for code, share in EMERGENCY_SHARE.items():  # emergency_* together 3%
            weights[code] = 3 * share / 100
        weights.update({"prank": 6, "out_of_scope": 6, "nlu_fallback": 9}, **SMALL_TALK)
        return list(weights), list(accumulate(weights.values()))

    def intent(self) -> Tuple[str, float, str]:
        rng = self.world.rng
        name = rng.choices(self.intents, cum_weights=self.intent_cum)[0]
        if name == "nlu_fallback":
            confidence = rng.uniform(0.2, 0.45)
        elif rng.random() < 0.1:
            confidence = rng.uniform(0.5, 0.6)
        else:
            confidence = 1.0 - 0.4 * rng.random() ** 2  # mostly sure
        family = name.split("_")[0] if name.startswith(("report_", "emergency_")) else name
        return name, confidence, rng.choice(USER_TEXTS.get(family, USER_TEXTS["greet"]))

    def conversation(
        self, cid: int, start: float, size: int, channel: str
    ) -> Tuple[Row, List[Row]]:
        rng = self.world.rng
        kinds = self._kinds(size)
        stamps = self._stamps(start, kinds)
        events: List[Row] = []
        row: Row
        for kind, at in zip(kinds, stamps, strict=True):
            eid = self.next_event
            self.next_event += 1
            if kind == "user":
                intent, confidence, text = self.intent()
                if intent == "nlu_fallback" or confidence < 0.6:
                    self.inbox.offer(rng, (eid, at, intent, text))
                row = (eid, cid, f"bench-{eid}", kind, _at(at), text, intent, confidence,
                       channel, None)  # fmt: skip
            else:
                row = (eid, cid, f"bench-{eid}", kind, _at(at), rng.choice(BOT_TEXTS), None,
                       None, channel, "bot")  # fmt: skip
            events.append(row)
        users = kinds.count("user")
        sender = f"wa-{cid}" if channel == "whatsapp" else f"web-{rng.getrandbits(96):024x}"
        conversation = (cid, sender, channel, _at(stamps[0]), _at(stamps[-1]), users, size - users)
        return conversation, events

    def _kinds(self, size: int) -> List[str]:
        """The citizen writes first; the bot answers, now and then in two bubbles."""
        kinds = ["user"]
        rand = self.world.rng.random
        while len(kinds) < size:
            kinds.append("bot" if kinds[-1] == "user" or rand() < 0.2 else "user")
        return kinds

    def _stamps(self, start: float, kinds: List[str]) -> List[float]:
        """Seconds apart for the bot, tens of seconds for the citizen; a few minutes
        in all, and never past `now`."""
        rng = self.world.rng
        stamps, at = [start], start
        for kind in kinds[1:]:
            at += rng.uniform(0.4, 2.5) if kind == "bot" else _lognormal(rng, 20, 0.8, 3, 600)
            stamps.append(at)
        overrun = stamps[-1] - (self.world.now - 1)
        return [s - overrun for s in stamps] if overrun > 0 else stamps


def _sizes(rng: random.Random, conversations: int, messages: int) -> List[int]:
    """Messages per conversation: at least 2, long-tailed, summing to `messages`."""
    weights = [rng.lognormvariate(0, 0.9) for _ in range(conversations)]
    extra, total = messages - 2 * conversations, sum(weights)
    sizes = [2 + int(extra * w / total) for w in weights]
    for index in rng.choices(range(conversations), k=messages - sum(sizes)):
        sizes[index] += 1
    return sizes


async def _conversations(world: World, copier: Copier, messages: int, inbox: Inbox) -> None:
    count = min(max(1, messages // 10), messages // 2)
    if count == 0:
        return
    rng, talk = world.rng, Talk(world, inbox)
    sizes = _sizes(rng, count, messages)
    conversations: List[Row] = []
    events: List[Row] = []
    for cid, (start, size) in enumerate(
        zip(world.times("chat", count), sizes, strict=True), start=1
    ):
        channel = "whatsapp" if rng.random() < 0.8 else "webchat"
        conversation, its_events = talk.conversation(cid, start, size, channel)
        conversations.append(conversation)
        events.extend(its_events)
        if len(events) >= CHUNK or cid == count:
            # The conversations first: their events refer to them.
            await copier.copy("conversations", CONVERSATION_COLUMNS, conversations)
            await copier.copy("conversation_events", EVENT_COLUMNS, events)
            conversations, events = [], []
            copier.report("conversations", count)
            copier.report("conversation_events", messages)


# -- tickets ---------------------------------------------------------------------

TICKET_COLUMNS = (
    "id", "service_request_id", "service_code", "agency_responsible", "description", "status",
    "workflow_status", "status_notes", "address", "lat", "long", "kelurahan_code", "media_urls",
    "attributes", "channel", "account_id", "requested_at", "updated_at", "expected_at",
    "verified_at", "verified_by", "place_public", "escalation_level", "escalated_at",
    "merged_into_id", "closure_state", "closure_asked_at", "citizen_rating", "rated_at",
    "first_response_at", "resolved_at",
)  # fmt: skip
TICKET_EVENT_COLUMNS = ("id", "ticket_id", "workflow_status", "note", "actor", "created_at", "kind")


@dataclass
class Target:
    """A ticket others may be merged into, while it is open."""

    id: int
    service: str
    area: Area
    requested: float
    closed: float  # math.inf while open


@dataclass
class Ticket:
    """One ticket's story, in epoch seconds; turned into its row and history."""

    id: int
    service: str
    department: str
    channel: str
    requested: float
    expected: float
    area: Optional[Area]
    description: str = ""
    pin: Tuple[Optional[float], Optional[float]] = (None, None)  # lat, long
    status: str = "diterima"
    response: Optional[float] = None
    response_status: str = "diverifikasi"
    closed: Optional[float] = None  # when it was (last) closed
    merged_into: Optional[Tuple[int, str]] = None  # id, service_request_id
    closure_state: Optional[str] = None
    closure_at: Optional[float] = None  # the citizen's answer, or the expiry
    rating: Optional[int] = None
    staff: Optional[Person] = None
    history: List[Tuple[float, Optional[str], Optional[str], str, str]] = field(
        default_factory=list
    )  # at, workflow_status (None: the one of the moment), note, actor, kind

    @property
    def number(self) -> str:
        year = _at(self.requested + WIB_OFFSET).year  # the WIB year, as backend/tickets.py
        return f"KDR-{year}-{self.id:06d}"

    @property
    def open(self) -> bool:
        return self.status in ("diterima", "diverifikasi", "diproses")


class Desk:
    """Decides what became of each ticket: answered, closed, merged, rated, late."""

    def __init__(self, world: World) -> None:
        self.world = world
        codes = list(world.catalogue.services)
        self.services = codes
        self.service_cum = list(accumulate(SERVICE_SHARE.get(c, 3) for c in codes))
        self.steps = deadlines.load()
        self.closure_wait = waits.default().closure.total_seconds()
        self.targets: Dict[Tuple[str, str], List[Target]] = {}
        # Reports still to come of a problem many neighbours see: (due, order, target).
        self.reserved: List[Tuple[float, int, Target]] = []
        self.order = itertools.count()  # ties in the heap never compare targets

    def ticket(self, tid: int, requested: float) -> Ticket:
        rng = self.world.rng
        target = self._reservation(requested)
        area: Optional[Area]
        if target is not None:  # one more report of a known problem
            code, area = target.service, target.area
        else:
            code = rng.choices(self.services, cum_weights=self.service_cum)[0]
            area = self.world.area() if rng.random() < 0.85 else None
        service = self.world.catalogue.services[code]
        channel = rng.choices([c for c, _ in TICKET_CHANNELS], [w for _, w in TICKET_CHANNELS])[0]
        # expected_at as the app sets it (the service's SLA), kept within 3..14 days.
        days = min(14, max(3, service.sla_days))
        ticket = Ticket(tid, code, service.department.code, channel, requested,
                        requested + days * DAY, area)  # fmt: skip
        street = rng.choice(STREETS)
        ticket.description = f"Laporan {service.short_name or service.name} di {street}."
        if area is not None and rng.random() < 0.40 / 0.85:  # a pin on 40% of all tickets
            ticket.pin = self.world.near(area)
        ticket.staff = self.world.staff(ticket.department)
        if target is None or not self._merge(ticket, target):
            self._fate(ticket)
        self._history(ticket)
        return ticket

    def _reservation(self, requested: float) -> Optional[Target]:
        while self.reserved and self.reserved[0][0] <= requested:
            target = heapq.heappop(self.reserved)[2]
            if target.closed > requested + HOUR:
                return target
        return None

    def _fate(self, t: Ticket) -> None:
        rng = self.world.rng
        age = self.world.now - t.requested
        # Recent tickets are mostly still open; older ones leave a backlog.
        if rng.random() < 0.165 + 0.8 * math.exp(-age / (10 * DAY)):
            self._open(t, age)
            return
        # Duplicates start clusters of 1-15 (mean ~2.3): about 5% of closed tickets in all.
        outcome = rng.choices(("selesai", "ditolak", "duplikat"), (85, 10, 2.2))[0]
        if outcome == "duplikat" and self._start_cluster(t):
            return
        self._close(t, "ditolak" if outcome == "ditolak" else "selesai", age)

    def _pace(self, t: Ticket) -> Tuple[float, float]:
        """Seconds to the first response and to resolution, in this department's pace."""
        rng = self.world.rng
        hours, days = DEPARTMENT_PACE.get(t.department, (8.0, 5.0))
        first = _lognormal(rng, hours * HOUR, 1.1, 120, 10 * DAY)
        return first, _lognormal(rng, days * DAY, 0.8, HOUR, 20 * DAY)

    def _open(self, t: Ticket, age: float) -> None:
        first, _ = self._pace(t)
        if self.world.rng.random() < 0.45 or first >= age:
            t.status = "diterima"  # nobody answered yet
            self._remember(t)
            return
        t.response = t.requested + first
        t.status = t.response_status = self.world.rng.choice(
            ("diverifikasi", "diproses", "diproses")
        )
        self._remember(t)

    def _close(self, t: Ticket, status: str, age: float) -> None:
        rng = self.world.rng
        first, resolve = self._pace(t)
        if status == "ditolak":
            resolve *= 0.4  # refusing needs no fieldwork
        resolve = min(resolve, age * rng.uniform(0.3, 0.95))
        t.status, t.closed = status, t.requested + resolve
        if status == "ditolak" and rng.random() < 0.4:
            t.response = t.closed  # refused straight away
        else:
            t.response = t.requested + (
                first if first < 0.9 * resolve else resolve * rng.uniform(0.1, 0.6)
            )
            t.response_status = rng.choice(("diverifikasi", "diproses"))
        if status == "selesai":
            self._closure(t)
        self._remember(t)

    def _closure(self, t: Ticket) -> None:
        """The citizen's word on the fix (backend/closure.py)."""
        rng = self.world.rng
        assert t.closed is not None
        if t.closed + self.closure_wait > self.world.now:
            t.closure_state = "waiting"  # may still answer
            return
        state = rng.choices(("confirmed", "reopened", "expired", None), (50, 5, 25, 20))[0]
        t.closure_state = state
        if state == "confirmed":
            t.closure_at = t.closed + _lognormal(rng, 6 * HOUR, 1.0, 60, self.closure_wait - 60)
            # Ratings lean to 4-5; a tenth confirm without rating.
            t.rating = rng.choices((None, 1, 2, 3, 4, 5), (10, 4, 6, 14, 32, 34))[0]
        elif state == "reopened":
            # Back to "diproses" (backend/closure.py): open again, no longer resolved.
            t.closure_at = t.closed + rng.uniform(HOUR, self.closure_wait - 60)
            t.status = "diproses"
        elif state == "expired":
            t.closure_at = t.closed + self.closure_wait + rng.uniform(30, 300)

    def _start_cluster(self, t: Ticket) -> bool:
        """The first duplicate of an earlier ticket of the same place and service; more
        neighbours report the same problem in the following hours or days."""
        if t.area is None:
            return False
        rng = self.world.rng
        open_now = [c for c in self._recent(t) if c.closed > t.requested + HOUR]
        if not open_now:
            return False
        target = rng.choice(open_now)
        if not self._merge(t, target):
            return False
        for _ in range(self._cluster_size() - 1):
            due = t.requested + _lognormal(rng, 18 * HOUR, 1.0, 600, 5 * DAY)
            if due < min(target.closed, self.world.now):
                heapq.heappush(self.reserved, (due, next(self.order), target))
        return True

    def _cluster_size(self) -> int:
        draw = self.world.rng.random()
        if draw < 0.55:
            return 1
        if draw < 0.75:
            return 2
        return int(3 + 12.99 * self.world.rng.random() ** 2)  # 3..15, mostly small

    def _merge(self, t: Ticket, target: Target) -> bool:
        """Merged into a ticket still open then (backend/merging.py): closed as duplikat."""
        rng = self.world.rng
        latest = min(target.closed - 60, self.world.now - 1)
        merged = min(t.requested + _lognormal(rng, 5 * HOUR, 1.0, 300, 5 * DAY), latest)
        if merged <= t.requested:
            return False
        year = _at(target.requested + WIB_OFFSET).year
        t.status, t.closed, t.response = "duplikat", merged, merged
        t.merged_into = (target.id, f"KDR-{year}-{target.id:06d}")
        return True

    def _recent(self, t: Ticket) -> List[Target]:
        assert t.area is not None
        candidates = self.targets.get((t.area.code, t.service), [])
        # Only the last 60 days matter; drop the rest so the lists stay short.
        candidates[:] = [c for c in candidates if c.requested > t.requested - 60 * DAY]
        return candidates

    def _remember(self, t: Ticket) -> None:
        if t.area is not None:
            closed = t.closed if t.closed is not None and not t.open else math.inf
            key = (t.area.code, t.service)
            target = Target(t.id, t.service, t.area, t.requested, closed)
            self.targets.setdefault(key, []).append(target)

    def _history(self, t: Ticket) -> None:
        staff = t.staff.actor if t.staff else "system"
        h = t.history
        h.append((t.requested, "diterima", None, f"pelapor ({t.channel})", "status"))
        if t.response is not None and t.response != t.closed:
            h.append(
                (
                    t.response,
                    t.response_status,
                    self.world.rng.choice(RESPONSE_NOTES),
                    staff,
                    "status",
                )
            )
        if t.closed is not None:
            final = "selesai" if t.closure_state else t.status
            note = (
                MERGE_NOTE.format(t.merged_into[1]) if t.merged_into else CLOSING_NOTES.get(final)
            )
            h.append((t.closed, final, note, staff, "status"))
        self._closure_entry(t)
        self._escalations(t)
        h.sort(key=lambda e: e[0])

    def _closure_entry(self, t: Ticket) -> None:
        if t.closure_at is None:
            return
        if t.closure_state == "confirmed":
            rated = f" Penilaian penanganan: {t.rating} dari 5." if t.rating else ""
            note = f"Pelapor menyatakan masalahnya sudah beres.{rated}"
            t.history.append((t.closure_at, "selesai", note, CITIZEN, "closure"))
        elif t.closure_state == "reopened":
            note = "Dibuka kembali: pelapor menyatakan masalahnya belum beres."
            t.history.append((t.closure_at, "diproses", note, CITIZEN, "reopen"))
        else:
            note = "Pelapor tidak menjawab konfirmasi: laporan tetap selesai."
            t.history.append((t.closure_at, "selesai", note, "system", "closure"))

    def _escalations(self, t: Ticket) -> None:
        """Late while open: each step of data/deadlines.yml whose time came
        (backend/deadlines.py); the job runs every minute or two."""
        until = self.world.now if t.open else (t.closed or self.world.now)
        for step in self.steps:
            at = t.expected + step.after.total_seconds() + self.world.rng.uniform(5, 120)
            if at < until:
                days = int((at - t.expected) // DAY)
                to = deadlines.ROLE_NAMES.get(step.to, step.to)
                note = f"Terlambat {days} hari dari tenggat: diteruskan ke {to}."
                t.history.append((at, None, note, "system", "escalation"))


def _ticket_row(t: Ticket) -> Row:
    escalations = [e for e in t.history if e[4] == "escalation"]
    status_notes = next(
        (e[2] for e in reversed(t.history) if e[4] in ("status", "reopen") and e[2]), None
    )
    updated = max(e[0] for e in t.history if e[4] in ("status", "reopen"))
    # Staff verified (published) most answered tickets when they first answered.
    verifiable = t.response is not None and t.status != "duplikat" and t.id * 7 % 10 < 7
    verified = t.response if verifiable else None
    asked = t.closed if t.closure_state else None
    return (
        t.id, t.number, t.service, t.department, t.description,
        "open" if t.open else "closed", t.status, status_notes,
        f"{STREETS[t.id % len(STREETS)]} no. {t.id % 200 + 1}" if t.id % 2 else None,
        *t.pin, t.area.code if t.area else None, "[]", "{}", t.channel,
        f"wa-{t.id}" if t.channel == "whatsapp" else None,
        _at(t.requested), _at(updated), _at(t.expected),
        _at(verified) if verified is not None else None,
        t.staff.actor if verified is not None and t.staff else None, False,
        len(escalations), _at(escalations[-1][0]) if escalations else None,
        t.merged_into[0] if t.merged_into else None,
        t.closure_state, _at(asked) if asked is not None else None, t.rating,
        _at(t.closure_at) if t.rating and t.closure_at else None,
        _at(t.response) if t.response is not None else None,
        _at(t.closed) if t.closed is not None and not t.open else None,
    )  # fmt: skip


def _history_rows(t: Ticket, first_id: int) -> List[Row]:
    rows: List[Row] = []
    status = "diterima"
    for offset, (at, workflow_status, note, actor, kind) in enumerate(t.history):
        status = workflow_status or status  # escalations keep the status of the moment
        rows.append((first_id + offset, t.id, status, note, actor, _at(at), kind))
    return rows


async def _tickets(world: World, copier: Copier, count: int) -> None:
    desk = Desk(world)
    tickets: List[Row] = []
    history: List[Row] = []
    next_event = 1
    for tid, requested in enumerate(world.times("office", count), start=1):
        ticket = desk.ticket(tid, requested)
        tickets.append(_ticket_row(ticket))
        rows = _history_rows(ticket, next_event)
        next_event += len(rows)
        history.extend(rows)
        if len(tickets) >= CHUNK or tid == count:
            await copier.copy("tickets", TICKET_COLUMNS, tickets)
            await copier.copy("ticket_events", TICKET_EVENT_COLUMNS, history)
            tickets, history = [], []
            copier.report("tickets", count)


# -- 112: voice calls and incidents ----------------------------------------------

CALL_COLUMNS = ("id", "call_sid", "caller", "state", "class", "route", "queue", "cannot_speak",
                "dropped", "prompts", "speech", "confidence", "digits", "incident_id",
                "operator_id", "started_at", "queued_at", "connected_at", "ended_at",
                "end_status", "message_state")  # fmt: skip
INCIDENT_COLUMNS = ("id", "key", "kind", "state", "channel", "conversation_key", "text",
                    "location_text", "kelurahan", "latitude", "longitude", "owner_id",
                    "operators_on_duty", "received_at", "created_at", "alerted_at", "seen_at",
                    "accepted_at", "escalated_at", "resolved_at", "resolution")  # fmt: skip
INCIDENT_EVENT_COLUMNS = ("id", "incident_id", "at", "kind", "actor_id", "text", "data")


@dataclass
class Call:
    sid: str
    caller: str
    kind: str  # the class column
    started: float
    route: Optional[str] = None
    queue: Optional[str] = None
    queued: Optional[float] = None
    connected: Optional[float] = None
    ended: float = 0.0
    dropped: bool = False
    operator: Optional[Person] = None
    incident: Optional[int] = None


def _calls(world: World, count: int) -> List[Call]:
    rng = world.rng
    pranksters = max(20, count // 60)
    # A few pranksters call again and again; everyone else rarely twice.
    prank_cum = list(accumulate(1 / (n + 1) for n in range(pranksters)))
    pranked: set[str] = set()
    calls = []
    for started in world.times("emergency", count):
        kind = _pick(rng, CALL_CLASSES)
        if kind == "prank":
            caller = f"wa-p{rng.choices(range(pranksters), cum_weights=prank_cum)[0]}"
        else:
            caller = f"wa-{rng.randrange(max(1, count * 3))}"
        call = Call(f"CA{rng.getrandbits(128):032x}", caller, kind, started)
        _call_course(world, call, caller in pranked)
        if kind == "prank":
            pranked.add(caller)
        calls.append(call)
    return calls


def _call_course(world: World, call: Call, known_prankster: bool) -> None:
    """From the greeting to the end: ghosts hang up; the rest wait for an operator."""
    rng = world.rng
    if call.kind == "ghost":
        call.ended = call.started + rng.uniform(2, 25)
    else:
        call.route = (
            "silent55" if call.kind == "silent" else rng.choice(("speech", "speech", "keys"))
        )
        call.queue = "prank" if call.kind == "prank" and known_prankster else "main"
        call.queued = call.started + rng.uniform(5, 30) + (15 if call.kind == "silent" else 0)
        if rng.random() < 0.06:
            call.dropped = True  # hung up while waiting
            call.ended = call.queued + rng.uniform(5, 120)
        else:
            call.connected = call.queued + _lognormal(rng, 15, 0.9, 3, 180)
            call.operator = world.operator()
            talk = {"valid": 150.0, "silent": 200.0, "information": 60.0}.get(call.kind, 20.0)
            call.ended = call.connected + _lognormal(rng, talk, 0.6, 5, 1800)
    overrun = call.ended - (world.now - 1)
    if overrun > 0:  # a call still going at `now` is left out: shift it to have ended
        for name in ("started", "queued", "connected", "ended"):
            value = getattr(call, name)
            setattr(call, name, value - overrun if value is not None else None)


def _call_row(cid: int, call: Call) -> Row:
    speech = CALL_SPEECH[cid % len(CALL_SPEECH)] if call.route == "speech" else None
    return (
        cid, call.sid, call.caller, "ended", call.kind, call.route, call.queue,
        call.kind == "silent", call.dropped, 2 if call.kind == "silent" else 0, speech,
        0.8 if speech else None, DIGITS.get(call.route or ""),
        call.incident, call.operator.id if call.operator else None, _at(call.started),
        _at(call.queued) if call.queued else None,
        _at(call.connected) if call.connected else None, _at(call.ended), "completed", "none",
    )  # fmt: skip


# alerted, seen, accepted, escalated, resolved
Moments = Tuple[float, float, Optional[float], Optional[float], float]


@dataclass
class Incident:
    kind: str
    channel: str
    received: float
    call: Optional[Call] = None
    events: List[Tuple[float, str, Optional[int], Optional[str], Optional[str]]] = field(
        default_factory=list
    )  # at, kind, actor id, text, data (JSON)


def _incident_plan(world: World, count: int, calls: List[Call]) -> List[Incident]:
    """A fifth are 112 calls: the valid and silent calls that reached the queue
    first, then calls of their own if the line had too few."""
    rng = world.rng
    phone = count // 5
    queued = [c for c in calls if c.kind in ("valid", "silent") and c.queued is not None]
    urgent = rng.sample(queued, min(phone, len(queued)))
    plans = [Incident("emergency_call", "phone", c.queued or c.started, c) for c in urgent]
    plans += [
        Incident("emergency_call", "phone", at)
        for at in world.times("emergency", phone - len(urgent))
    ]
    for at in world.times("emergency", count - len(plans)):
        kind = _pick(rng, INCIDENT_KINDS)
        channel = "whatsapp" if kind.endswith("followup") or rng.random() < 0.8 else "webchat"
        plans.append(Incident(kind, channel, at))
    plans.sort(key=lambda p: p.received)
    return plans


class Dispatch:
    """Turns an incident plan into its row and timeline, the seconds the review reads."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.directory = agencies.load()
        self.supervisor = next(p for p in world.people if p.role == "operator_supervisor")

    def row(self, iid: int, plan: Incident) -> Row:
        rng = self.world.rng
        created = plan.received + rng.uniform(0.1, 2)
        alerted = created + rng.uniform(0.05, 1)
        seen = alerted + rng.uniform(0.3, 8)
        accepted, escalated = self._acceptance(plan, created, alerted)
        owner = plan.call.operator if plan.call and plan.call.operator else self.world.operator()
        if accepted is None and rng.random() < 0.5:
            owner = self.supervisor  # closed by the shift's head after the escalation
        handled = _lognormal(rng, 40 * 60, 0.9, 600, 3 * HOUR)  # on the scene, sorted out
        resolved = (accepted or escalated or alerted) + handled
        on_duty = rng.randint(1, 4)
        self._timeline(plan, owner, on_duty, (alerted, seen, accepted, escalated, resolved))
        area = self.world.area() if rng.random() < 0.85 else None
        lat, lon = self.world.near(area) if area and rng.random() < 0.5 else (None, None)
        state = self._state(accepted, resolved)
        return (
            iid, f"bench-incident-{iid:06d}", plan.kind, state, plan.channel,
            plan.call.caller if plan.call else f"wa-i{iid}", INCIDENT_TEXTS[plan.kind],
            f"dekat {STREETS[iid % len(STREETS)]}", area.name if area else None, lat, lon,
            owner.id if state != "open" else None, on_duty, _at(plan.received),
            self._until_now(created), self._until_now(alerted), self._until_now(seen),
            self._until_now(accepted), self._until_now(escalated), self._until_now(resolved),
            RESOLUTION if state == "resolved" else None,
        )  # fmt: skip

    def _state(self, accepted: Optional[float], resolved: float) -> str:
        if resolved <= self.world.now:
            return "resolved"
        return "accepted" if accepted is not None and accepted <= self.world.now else "open"

    def _until_now(self, ts: Optional[float]) -> Optional[datetime]:
        """A moment still to come at `now` did not happen yet (the last minutes' incidents)."""
        return _at(ts) if ts is not None and ts <= self.world.now else None

    def _acceptance(
        self, plan: Incident, created: float, alerted: float
    ) -> Tuple[Optional[float], Optional[float]]:
        """(accepted, escalated): most within 30 s; 8% escalated first; 5% never."""
        rng = self.world.rng
        escalation = created + 30 + rng.uniform(0, 2)  # EMERGENCY_ACCEPT_SECONDS, one job tick
        if plan.call is not None:  # an operator accepting a call connects it
            if plan.call.connected is None:
                return None, escalation
            accepted = max(alerted + 1, plan.call.connected - rng.uniform(0.5, 2))
            return accepted, (escalation if accepted > escalation else None)
        draw = rng.random()
        if draw < 0.05:
            return None, escalation
        if draw < 0.13:
            return escalation + rng.uniform(1, 90), escalation
        return alerted + _lognormal(rng, 12, 0.5, 5, 29), None

    def _timeline(self, plan: Incident, owner: Person, on_duty: int, moments: Moments) -> None:
        rng, now = self.world.rng, self.world.now
        alerted, seen, accepted, escalated, resolved = moments
        ev = plan.events
        ev.append((plan.received, "received", None, INCIDENT_TEXTS[plan.kind], None))
        duty = json.dumps({"operators_on_duty": on_duty})
        ev.append((alerted, "alerted", None, None, duty))
        ev.append((seen, "seen", owner.id, None, None))
        if escalated is not None:
            ev.append((escalated, "escalated", None, None, duty))
        if accepted is not None:
            ev.append((accepted, "accepted", owner.id, None, None))
            if rng.random() < 0.7:
                agency = self.directory.type_of(plan.kind).lead
                data = json.dumps(
                    {"agency": agency.code, "name": agency.name, "phone": agency.phone}
                )
                ev.append((rng.uniform(accepted, resolved), "dispatched", owner.id, None, data))
            if plan.channel == "phone" and rng.random() < 0.1:
                ev.append((rng.uniform(accepted, resolved), "callback", owner.id, None, None))
        ev.append((resolved, "resolved", owner.id, RESOLUTION, None))
        plan.events = sorted((e for e in ev if e[0] <= now), key=lambda e: e[0])


async def _emergencies(world: World, copier: Copier, incidents: int, calls: int) -> None:
    call_plan = _calls(world, calls)
    plans = _incident_plan(world, incidents, call_plan)
    dispatch = Dispatch(world)
    rows: List[Row] = []
    events: List[Row] = []
    for iid, plan in enumerate(plans, start=1):
        rows.append(dispatch.row(iid, plan))
        if plan.call is not None:
            plan.call.incident = iid
        for at, kind, actor, text, data in plan.events:
            events.append((len(events) + 1, iid, _at(at), kind, actor, text, data))
    await copier.copy("incidents", INCIDENT_COLUMNS, rows)
    await copier.copy("incident_events", INCIDENT_EVENT_COLUMNS, events)
    copier.report("incidents", incidents)
    for start in range(0, len(call_plan), CHUNK):
        chunk = call_plan[start : start + CHUNK]
        await copier.copy("voice_calls", CALL_COLUMNS,
                          [_call_row(start + n + 1, c) for n, c in enumerate(chunk)])  # fmt: skip
        copier.report("voice_calls", calls)


# -- the editors' inbox ------------------------------------------------------------

DECISION_COLUMNS = ("event_id", "decision", "intent", "example", "commit", "decided_by",
                    "decided_at")  # fmt: skip


async def _decisions(world: World, copier: Copier, inbox: Inbox) -> None:
    """What the editors made of unsure messages: mostly training examples."""
    rng = world.rng
    choices = ("greet", "out_of_scope", "prank", "report_road", "report_waste", "check_status")
    rows: List[Row] = []
    for eid, at, intent, text in sorted(inbox.picked):
        decided = at + _lognormal(rng, 3 * DAY, 1.0, 600, 30 * DAY)
        if decided >= world.now:  # a recent message: decided before now, still after it came
            decided = at + (world.now - at) * rng.random()
        if rng.random() < 0.7:
            label = intent if intent != "nlu_fallback" else rng.choice(choices)
            rows.append(
                (
                    eid,
                    "example",
                    label,
                    text,
                    f"{rng.getrandbits(160):040x}",
                    "editor",
                    _at(decided),
                )
            )
        else:
            rows.append((eid, "ignored", None, None, None, "editor", _at(decided)))
    await copier.copy("nlu_inbox_decisions", DECISION_COLUMNS, rows)
    copier.report("nlu_inbox_decisions", inbox.size)


# -- the run -----------------------------------------------------------------------

SEQUENCED = ("users", "conversations", "conversation_events", "tickets", "ticket_events",
             "incidents", "incident_events", "voice_calls")  # fmt: skip


def _asyncpg_dsn(database_url: str) -> str:
    url = make_url(async_url(database_url)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _check_empty(conn: asyncpg.Connection) -> None:
    for table in SEQUENCED:
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
            raise RuntimeError(f"{table} is not empty: generate() fills an empty database")


async def _finish(conn: asyncpg.Connection, progress: Progress) -> None:
    """Sequences past the explicit ids (the app inserts after us), then fresh statistics."""
    for table in SEQUENCED:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
        )
    progress("analyze")
    await conn.execute("ANALYZE")


async def generate(
    database_url: str,
    *,
    now: datetime,
    messages: int = 1_000_000,
    tickets: int = 100_000,
    incidents: int = 5_000,
    calls: int = 20_000,
    seed: int = 1,
    progress: Progress = print,
) -> Dict[str, int]:
    """Fills the migrated, empty database with the year before `now` (aware).
    Returns the rows written per table."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    world = _world(now, seed)
    # ~600 editor decisions a year at a million messages; fewer for fewer.
    inbox = Inbox(size=round(600 * messages / 1_000_000))
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        await _check_empty(conn)
        await conn.execute("SET synchronous_commit = off")  # a benchmark's data, rebuilt at will
        copier = Copier(conn, progress)
        await _users(world, copier)
        await _conversations(world, copier, messages, inbox)
        await _tickets(world, copier, tickets)
        await _emergencies(world, copier, incidents, calls)
        await _decisions(world, copier, inbox)
        await _finish(conn, progress)
    finally:
        await conn.close()
    return copier.counts


def fill(database_url: str, scale: float = 1.0, progress: Progress = print) -> Dict[str, int]:
    """Migrate the (new, empty) database, then fill it with `scale` x a year up to now.

    Generated in a thread of its own, so the caller may hold an event loop (a
    browser test's Playwright does)."""
    subprocess.run(
        [servers.PYTHON, "-m", "backend", "migrate"],
        cwd=servers.REPO_ROOT,
        env=servers.base_env(DATABASE_URL=database_url),
        check=True,
        capture_output=True,
    )

    async def filled() -> Dict[str, int]:
        counts = await generate(
            database_url,
            now=datetime.now(timezone.utc),
            messages=round(1_000_000 * scale),
            tickets=round(100_000 * scale),
            incidents=round(5_000 * scale),
            calls=round(20_000 * scale),
            progress=progress,
        )
        # The events went in by COPY, not through the pipeline: its day counts
        # (backend/pipeline/daily.py) are worked out from them, as migration 0016 does.
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                await daily.rebuild(conn)
                await conn.execute(sql_text("ANALYZE message_days"))
        finally:
            await engine.dispose()
        return counts

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, filled()).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", required=True, help="a migrated, empty PostgreSQL database"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scale = args.scale
    began = time.monotonic()
    counts = asyncio.run(
        generate(
            args.database_url,
            now=datetime.now(timezone.utc),
            messages=round(1_000_000 * scale),
            tickets=round(100_000 * scale),
            incidents=round(5_000 * scale),
            calls=round(20_000 * scale),
            seed=args.seed,
        )
    )
    for table, rows in counts.items():
        print(f"{table:24} {rows:>10,}")
    print(f"done in {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    main()

"""Reading tickets for the department's queue in the console
(backend/console/tickets.py): the queue with its tabs, filters, search and
pages, the open tickets for the map, and one ticket with its history.

Read-only and free of HTTP; every change goes through backend/tickets.py.
Every read takes the reader's department (`scope`; None: every department),
so a query cannot forget it. Rows never carry the reporter's contact
(phone, e-mail, name): the console does not show them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from backend import duplicates, workflow
from backend.tables import tickets
from lapor import channels
from lapor.mediaurls import MEDIA_PATH
from lapor.timeutil import aware, to_utc, utcnow

PAGE_SIZE = 50
MAP_LIMIT = 1000  # dots on the map; more would not be readable anyway
RECENTLY_CLOSED = timedelta(days=14)
MAX_WORDS = 8

# The queue's tabs, in the order shown.
OPEN = "terbuka"
NEW = "baru"
IN_PROGRESS = "diproses"
OVERDUE = "terlambat"
CLOSED = "selesai"
TABS: Tuple[str, ...] = (OPEN, NEW, IN_PROGRESS, OVERDUE, CLOSED)
NEW_STATUSES = (workflow.RECEIVED, workflow.VERIFIED)
# A ticket number as citizens write it: KDR-2026-000123, or its last digits.
NUMBER = re.compile(r"^(KDR-)?[0-9]{4}-[0-9]{1,6}$|^KDR-[0-9-]*$|^[0-9]{3,6}$", re.IGNORECASE)

_t = tickets.c
# Everything the console shows; never the reporter's phone, e-mail or name.
_SHOWN = (
    _t.id,
    _t.service_request_id,
    _t.service_code,
    _t.agency_responsible,
    _t.description,
    _t.status,
    _t.workflow_status,
    _t.status_notes,
    _t.address,
    _t.lat,
    _t.long,
    _t.kelurahan_code,
    _t.media_urls,
    _t.attributes,
    _t.channel,
    _t.requested_at,
    _t.updated_at,
    _t.expected_at,
    _t.closure_state,
    _t.citizen_rating,
    # Whether the reporter can be asked on their chat (notify.recipient_of),
    # without reading their contact into the page.
    or_(
        and_(_t.channel == channels.WHATSAPP, _t.phone.is_not(None)),
        and_(_t.channel == channels.WEB, _t.account_id.is_not(None)),
    ).label("reachable"),
)


@dataclass(frozen=True)
class Filters:
    """What the queue shows: a tab, then narrowing filters and a search."""

    tab: str = OPEN
    category: Optional[str] = None  # service_code
    kecamatan: Optional[str] = None  # kecamatan name, as in the gazetteer
    kelurahan: Optional[str] = None  # kelurahan code
    status: Optional[str] = None  # workflow status
    older_than_days: Optional[int] = None
    search: str = ""
    page: int = 1
    # The kelurahan codes of `kecamatan` (the gazetteer knows them, not the database).
    kecamatan_codes: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """A ticket as the console shows it (no contact of the reporter)."""

    id: int
    service_request_id: str
    service_code: str
    agency_responsible: str
    description: str
    status: str
    workflow_status: str
    status_notes: Optional[str]
    address: Optional[str]
    lat: Optional[float]
    long: Optional[float]
    kelurahan_code: Optional[str]
    photos: List[str]  # this site's own /media/<id> paths (the CSP allows only 'self')
    attributes: Dict[str, Any]
    channel: str
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime
    # Whether the reporter can be asked on a chat channel (not their number).
    reachable: bool = False
    closure_state: Optional[str] = None
    citizen_rating: Optional[int] = None

    @property
    def is_open(self) -> bool:
        return workflow.OPEN311_STATUS.get(self.workflow_status) == "open"

    @property
    def has_pin(self) -> bool:
        return self.lat is not None and self.long is not None

    def overdue(self, now: datetime) -> bool:
        return self.is_open and self.expected_at < now


@dataclass(frozen=True)
class Page:
    items: List[Item]
    page: int
    has_next: bool
    counts: Dict[str, int] = field(default_factory=dict)  # per tab, with the same filters


@dataclass(frozen=True)
class Pin:
    """An open ticket on the map."""

    service_request_id: str
    service_code: str
    kelurahan_code: Optional[str]
    lat: Optional[float]
    long: Optional[float]


# -- the queue -----------------------------------------------------------------


async def queue(
    engine: AsyncEngine, scope: Optional[str], filters: Filters, now: Optional[datetime] = None
) -> Page:
    """One page of the tab's tickets (newest first; overdue: the latest deadline last)."""
    when = now or utcnow()
    narrowing = _narrowing(scope, filters, when)
    order = (
        (_t.expected_at.asc(), _t.id.asc())
        if filters.tab == OVERDUE
        else (_t.updated_at.desc(), _t.id.desc())
        if filters.tab == CLOSED
        else (_t.requested_at.desc(), _t.id.desc())
    )
    page = max(1, filters.page)
    statement = (
        select(*_SHOWN)
        .where(*narrowing, _tab(filters.tab, when))
        .order_by(*order)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(statement)).all()
        counts = {
            tab: int(
                (
                    await conn.execute(select(func.count(_t.id)).where(*narrowing, _tab(tab, when)))
                ).scalar_one()
            )
            for tab in TABS
        }
    items = [_item(r) for r in rows[:PAGE_SIZE]]
    return Page(items, page, len(rows) > PAGE_SIZE, counts)


async def pins(
    engine: AsyncEngine, scope: Optional[str], filters: Filters, now: Optional[datetime] = None
) -> List[Pin]:
    """The open tickets of the filters (whatever the tab), for the map."""
    when = now or utcnow()
    open_only = replace(filters, tab=OPEN)
    statement = (
        select(_t.service_request_id, _t.service_code, _t.kelurahan_code, _t.lat, _t.long)
        .where(*_narrowing(scope, open_only, when), _tab(OPEN, when))
        .order_by(_t.requested_at.desc(), _t.id.desc())
        .limit(MAP_LIMIT)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(statement)).all()
    return [
        Pin(r.service_request_id, r.service_code, r.kelurahan_code, r.lat, r.long) for r in rows
    ]


def _tab(tab: str, now: datetime) -> ColumnElement[Any]:
    if tab == NEW:
        return _t.workflow_status.in_(NEW_STATUSES)
    if tab == IN_PROGRESS:
        return _t.workflow_status == workflow.IN_PROGRESS
    if tab == OVERDUE:
        return and_(_t.status == "open", _t.expected_at < to_utc(now))
    if tab == CLOSED:
        return and_(_t.status == "closed", _t.updated_at >= to_utc(now - RECENTLY_CLOSED))
    return _t.status == "open"


def _narrowing(scope: Optional[str], filters: Filters, now: datetime) -> List[ColumnElement[Any]]:
    """The conditions every tab shares: the department, the filters, the search."""
    found: List[ColumnElement[Any]] = []
    if scope is not None:
        found.append(_t.agency_responsible == scope)
    if filters.category:
        found.append(_t.service_code == filters.category)
    if filters.kelurahan:
        found.append(_t.kelurahan_code == filters.kelurahan)
    elif filters.kecamatan:
        found.append(_t.kelurahan_code.in_(list(filters.kecamatan_codes)))
    if filters.status:
        found.append(_t.workflow_status == filters.status)
    if filters.older_than_days:
        # In UTC, as stored (SQLite compares the text).
        found.append(_t.requested_at < to_utc(now - timedelta(days=filters.older_than_days)))
    found.extend(_search(filters.search))
    return found


def _search(text: str) -> List[ColumnElement[Any]]:
    """A ticket number matches the number; words must each appear in the text or the address."""
    cleaned = " ".join(text.split())
    if not cleaned:
        return []
    if NUMBER.match(cleaned):
        return [_t.service_request_id.ilike(f"%{_escaped(cleaned)}", escape="\\")]
    conditions: List[ColumnElement[Any]] = []
    for word in cleaned.split()[:MAX_WORDS]:
        pattern = f"%{_escaped(word)}%"
        # ILIKE on PostgreSQL; SQLAlchemy makes it lower() LIKE lower() on SQLite.
        conditions.append(
            or_(
                _t.description.ilike(pattern, escape="\\"),
                _t.address.ilike(pattern, escape="\\"),
            )
        )
    return conditions


def _escaped(word: str) -> str:
    """The word taken literally: % and _ are LIKE's wildcards."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- one ticket ------------------------------------------------------------------


async def ticket(
    engine: AsyncEngine, scope: Optional[str], service_request_id: str
) -> Optional[Item]:
    """The ticket, or None when it does not exist or belongs to another department
    (the two look the same: a department does not learn another's numbers)."""
    conditions = [_t.service_request_id == service_request_id]
    if scope is not None:
        conditions.append(_t.agency_responsible == scope)
    async with engine.connect() as conn:
        row = (await conn.execute(select(*_SHOWN).where(*conditions))).first()
    return None if row is None else _item(row)


# -- rows ---------------------------------------------------------------------------


def _item(row: Any) -> Item:
    urls = row.media_urls if isinstance(row.media_urls, list) else []
    return Item(
        id=int(row.id),
        service_request_id=row.service_request_id,
        service_code=row.service_code,
        agency_responsible=row.agency_responsible,
        description=row.description,
        status=row.status,
        workflow_status=row.workflow_status,
        status_notes=row.status_notes,
        address=row.address,
        lat=row.lat,
        long=row.long,
        kelurahan_code=row.kelurahan_code,
        photos=_photos(urls),
        attributes=dict(row.attributes) if isinstance(row.attributes, dict) else {},
        channel=row.channel,
        requested_at=aware(row.requested_at),
        updated_at=aware(row.updated_at),
        expected_at=aware(row.expected_at),
        reachable=bool(row.reachable),
        closure_state=row.closure_state,
        citizen_rating=row.citizen_rating,
    )


def local_media(url: Optional[str]) -> Optional[str]:
    """A stored photo's path on this site (the CSP allows only 'self'); None for anything else."""
    found = _photos([url]) if url else []
    return found[0] if found else None


def _photos(urls: Sequence[Any]) -> List[str]:
    found: List[str] = []
    for url in urls:
        match = MEDIA_PATH.search(url) if isinstance(url, str) else None
        if match and match.group(0) not in found:
            found.append(match.group(0))
    return found


# -- possible duplicates ------------------------------------------------------------

# Wide enough for the largest distance in data/duplicates/rules.yml (about 0.01
# degree is 1.1 km at Kediri's latitude); the detector then measures exactly.
NEARBY_DEGREES = 0.01
NEARBY_DAYS = 30


async def possible_duplicates(
    engine: AsyncEngine, scope: Optional[str], found: Item, rules: duplicates.Rules
) -> List[duplicates.Match]:
    """Open tickets of the same category near this one that may report the same
    problem ("kemungkinan duplikat"), best first; only tickets the person may see."""
    if not found.has_pin:
        return []
    return await similar_open(engine, _candidate(found), rules, scope, exclude=found.id)


async def similar_open(
    engine: AsyncEngine,
    new: duplicates.Candidate,
    rules: duplicates.Rules,
    scope: Optional[str] = None,
    exclude: Optional[int] = None,
) -> List[duplicates.Match]:
    """Open tickets that may report the same problem as `new` (a ticket, or a report
    the bot is about to file), best first; of `scope`'s department when given."""
    conditions = [
        _t.service_code == new.service_code,
        _t.status == "open",
        _t.lat.between(new.lat - NEARBY_DEGREES, new.lat + NEARBY_DEGREES),
        _t.long.between(new.long - NEARBY_DEGREES, new.long + NEARBY_DEGREES),
        _t.requested_at >= new.requested_at - timedelta(days=NEARBY_DAYS),
        _t.requested_at <= new.requested_at + timedelta(days=NEARBY_DAYS),
    ]
    if exclude is not None:
        conditions.append(_t.id != exclude)
    if scope is not None:
        conditions.append(_t.agency_responsible == scope)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(*_SHOWN).where(*conditions).limit(50))).all()
    others = [_candidate(_item(row)) for row in rows]
    return duplicates.candidates(new, others, rules)


def _candidate(item: Item) -> duplicates.Candidate:
    return duplicates.Candidate(
        service_request_id=item.service_request_id,
        service_code=item.service_code,
        description=item.description,
        lat=float(item.lat or 0.0),
        long=float(item.long or 0.0),
        requested_at=item.requested_at,
        status=item.workflow_status,
    )

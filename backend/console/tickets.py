"""The department's queue (issue 13): its tickets by tab (new, in progress,
overdue, recently closed), filters, search and a map of the open ones; one
ticket with its photos, place, history and deadline; and its status form.

Staff and staff_head see their own department's tickets only; triage and
admin see every department. Another department's ticket is "not found" on
every route (404, never 403): a department does not learn that it exists.
Every change goes through backend/tickets.py (one transaction with its
history entry, the citizen's notice and the live event).

Both pages update live (topic "ticket"): the page script refetches the
queue's list or the ticket's history as a fragment (`?part=`), so a filter
or a note being typed is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect
from sqlalchemy import select

from backend import (
    asking,
    canned_replies,
    closure,
    duplicates,
    kelurahan_map,
    live,
    media,
    merging,
    people,
    routing,
    ticket_reads,
    tickets,
    voice_notes,
    workflow,
)
from backend.console import views
from backend.console.access import page
from backend.console.posted import Form, form_of, one, osm_link
from backend.context import context
from backend.errors import Open311Error
from backend.tables import tickets as ticket_table
from backend.ticket_reads import Filters
from lapor import identity, waits
from lapor.contact import ContactError
from lapor.timeutil import utcnow

bp = Blueprint("console_tickets", url_prefix="/console/tickets")

QUEUE_ROLES = frozenset({"staff", "staff_head", "triage", "admin"})
# These see every department's tickets; the others their own department's only.
ALL_DEPARTMENTS = frozenset({"triage", "admin"})
MAX_NOTE = 2000
MAX_SEARCH = 100
MAX_AGE_DAYS = 3650
# The queue's line on what reporters said of the fixes: over this period.
VERDICT_PERIOD = timedelta(days=30)
TAB_LABELS = {
    ticket_reads.OPEN: "Semua terbuka",
    ticket_reads.NEW: "Baru",
    ticket_reads.IN_PROGRESS: "Diproses",
    ticket_reads.OVERDUE: "Terlambat",
    ticket_reads.CLOSED: "Baru selesai",
}
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "web": "Web chat", "open311": "Aplikasi (Open311)"}
NOT_FOUND = "Laporan ini tidak ditemukan."
DONE = "Status laporan sudah diubah. Pelapor diberi tahu."
ASKED = (
    "Pertanyaan tersimpan dan sedang dikirim ke pelapor. Jawabannya akan muncul di "
    "riwayat laporan ini."
)
# The reporter's word on the fix (backend/closure.py), as staff read it.
CLOSURE_LABELS = {
    closure.WAITING: "Menunggu jawaban pelapor: apakah masalahnya sudah beres?",
    closure.CONFIRMED: "Pelapor menyatakan masalahnya sudah beres",
    closure.REOPENED: "Pelapor menyatakan belum beres: laporan dibuka kembali",
    closure.EXPIRED: "Pelapor tidak menjawab konfirmasi; laporan tetap selesai",
}
MERGED = (
    "Laporan ditandai duplikat dan digabung. Pelapornya diberi tahu dan ikut menerima "
    "kabar laporan tujuan."
)


def scope_of(person: people.Person) -> Optional[str]:
    """The department whose tickets this person may see (None: every department)."""
    if person.has(*ALL_DEPARTMENTS):
        return None
    # A department role without a department sees nothing rather than everything.
    return person.department_code or ""


# -- the queue -------------------------------------------------------------------


@page(bp, "", QUEUE_ROLES)
async def queue_page(request: Request, person: people.Person) -> HTTPResponse:
    ctx = context(request)
    filters, problems = _filters(request)
    scope = scope_of(person)
    live_after = await live.latest_id(ctx.engine)
    now = utcnow()
    found = await ticket_reads.queue(ctx.engine, scope, filters, now)
    drawn = kelurahan_map.draw(
        ctx.wilayah, await ticket_reads.pins(ctx.engine, scope, filters, now)
    )
    values: Dict[str, Any] = {
        "title": "Laporan dinas",
        "queue": found,
        "filters": filters,
        "map": drawn,
        "tab_labels": TAB_LABELS,
        "link": lambda **changes: _link(filters, **changes),
        "live_after": live_after,
        **_labels(request, now),
    }
    template = "console/tickets.html"
    if request.args.get("part") == "list":
        template = "console/_ticket_list.html"
    department = ctx.catalogue.departments.get(scope or "")
    return views.show(
        request,
        template,
        400 if problems else 200,
        problems=problems,
        department=department.name if department else None,
        categories=_categories(request, scope),
        kecamatan=sorted(kelurahan_map.kecamatan_codes(ctx.wilayah)),
        kelurahan=ctx.wilayah.kelurahan,
        statuses=list(workflow.LABELS.items()),
        moved=_moved_notice(request),
        verdicts=await closure.summary(ctx.engine, scope, now - VERDICT_PERIOD),
        verdict_days=VERDICT_PERIOD.days,
        **values,
    )


def _moved_notice(request: Request) -> Optional[str]:
    """After a transfer out of this department: where the ticket went (the
    ticket number and department name are only echoed as text)."""
    number, to = request.args.get("dialihkan"), request.args.get("ke")
    if not number or not to:
        return None
    return f"Laporan {number[:32]} sudah dialihkan ke {to[:128]}. Dinas tujuan sudah diberi tahu."


def _filters(request: Request) -> Tuple[Filters, List[str]]:
    """The queue's filters from the query; a value that cannot be used is named, and dropped."""
    ctx = context(request)
    args = request.args
    problems: List[str] = []

    def arg(name: str) -> str:
        return (args.get(name) or "").strip()

    tab = arg("tab") or ticket_reads.OPEN
    if tab not in ticket_reads.TABS:
        problems.append("Pilihan tab tidak dikenal.")
        tab = ticket_reads.OPEN
    category = arg("kategori") or None
    if category and ctx.catalogue.service(category) is None:
        problems.append("Kategori itu tidak ada di daftar.")
        category = None
    status = arg("status") or None
    if status and status not in workflow.LABELS:
        problems.append("Status itu tidak dikenal.")
        status = None
    kecamatan = arg("kecamatan") or None
    codes = kelurahan_map.kecamatan_codes(ctx.wilayah)
    if kecamatan and kecamatan not in codes:
        problems.append("Kecamatan itu tidak ada di Kota Kediri.")
        kecamatan = None
    kelurahan = arg("kelurahan") or None
    if kelurahan and ctx.wilayah.by_code(kelurahan) is None:
        problems.append("Kelurahan itu tidak ada di Kota Kediri.")
        kelurahan = None
    age = _whole(arg("umur"), 1, MAX_AGE_DAYS)
    if arg("umur") and age is None:
        problems.append(f"Umur laporan ditulis dalam hari: angka 1 sampai {MAX_AGE_DAYS}.")
    search = arg("q")
    if len(search) > MAX_SEARCH:
        problems.append(f"Kata pencarian paling banyak {MAX_SEARCH} huruf.")
        search = search[:MAX_SEARCH]
    filters = Filters(
        tab=tab,
        category=category,
        kecamatan=kecamatan,
        kelurahan=kelurahan,
        status=status,
        older_than_days=age,
        search=search,
        page=_whole(arg("hal"), 1, 10_000) or 1,
        kecamatan_codes=codes.get(kecamatan or "", ()),
    )
    return filters, problems


def _whole(text: str, low: int, high: int) -> Optional[int]:
    if not text.isdigit() or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None


def _link(filters: Filters, **changes: Any) -> str:
    """The queue's address with these filters, changed as given (page 1 unless named)."""
    values = {
        "tab": filters.tab,
        "kategori": filters.category,
        "kecamatan": filters.kecamatan,
        "kelurahan": filters.kelurahan,
        "status": filters.status,
        "umur": filters.older_than_days,
        "q": filters.search,
        "hal": None,
    }
    values.update(changes)
    kept = {k: v for k, v in values.items() if v not in (None, "")}
    if kept.get("tab") == ticket_reads.OPEN:
        del kept["tab"]
    if kept.get("hal") == 1:
        del kept["hal"]
    query = urlencode(kept)
    return "/console/tickets" + (f"?{query}" if query else "")


def _categories(request: Request, scope: Optional[str]) -> List[Tuple[str, str]]:
    """The categories a department handles (every category for triage and admin)."""
    services = context(request).catalogue.services.values()
    return [(s.code, s.name) for s in services if scope is None or s.department.code == scope]


# -- one ticket --------------------------------------------------------------------


@page(bp, "/<service_request_id:str>", QUEUE_ROLES)
async def ticket_page(
    request: Request, person: people.Person, service_request_id: str
) -> HTTPResponse:
    part = request.args.get("part") == "history"
    notice = DONE if request.args.get("selesai") else None
    if request.args.get("dialihkan"):
        notice = "Laporan sudah dialihkan. Dinas tujuan sudah diberi tahu."
    if request.args.get("digabung"):
        notice = MERGED
    if request.args.get("ditanyakan"):
        notice = ASKED
    return await _ticket(request, person, service_request_id, notice=notice, part=part)


@page(bp, "/<service_request_id:str>/status", QUEUE_ROLES, methods=("POST",), name="ticket_status")
async def change_status(
    request: Request, person: people.Person, service_request_id: str
) -> HTTPResponse:
    ctx = context(request)
    found = await ticket_reads.ticket(ctx.engine, scope_of(person), service_request_id)
    if found is None:
        return views.error(request, 404, NOT_FOUND)
    form = form_of(request)
    status, note = one(form, "status"), one(form, "note")
    problem = _status_problem(found, status, note)
    if problem:
        return await _ticket(request, person, service_request_id, 400, problem=problem, draft=form)
    try:
        photo_url = await _work_photo(request)
    except Open311Error:
        problem = "Foto hasil pekerjaan tidak dapat dibaca: mohon kirim foto JPEG atau PNG."
        return await _ticket(request, person, service_request_id, 400, problem=problem, draft=form)
    try:
        await tickets.change_status(
            ctx.engine,
            service_request_id,
            status,
            note=note or None,
            actor=_actor(person),
            department=scope_of(person),
            photo_url=photo_url,
        )
    except (tickets.TicketNotFound, tickets.NotYourTicket):
        return views.error(request, 404, NOT_FOUND)
    except workflow.TransitionError:
        # Someone else moved it first: the page shows where it is now, the note kept.
        problem = "Status laporan ini baru saja diubah petugas lain. Mohon periksa lalu coba lagi."
        return await _ticket(request, person, service_request_id, 409, problem=problem, draft=form)
    async with ctx.engine.begin() as conn:
        detail = {"from": found.workflow_status, "to": status}
        await people.audit(
            conn, person.username, "ticket.status", "ticket", service_request_id, detail
        )
    return redirect(f"/console/tickets/{service_request_id}?selesai=1", status=303)


async def _work_photo(request: Request) -> Optional[str]:
    """The photo of the finished work the status form may carry, stored; its URL."""
    upload = request.files.get("photo") if request.files else None
    if upload is None or not upload.body:
        return None
    ctx = context(request)
    photo = await media.decode_photo(ctx.settings, (upload.type or "").lower(), upload.body)
    async with ctx.engine.begin() as conn:
        media_id = await media.insert_photo(conn, photo)
    return f"{ctx.settings.public_url}/media/{media_id}"


def _status_problem(found: ticket_reads.Item, status: str, note: str) -> Optional[str]:
    allowed = workflow.TRANSITIONS.get(found.workflow_status, frozenset())
    if not status:
        return "Mohon pilih status baru."
    if status not in allowed:
        return "Status itu tidak dapat dipilih dari status laporan sekarang."
    if status in workflow.NOTE_REQUIRED and not note:
        label = workflow.label(status)
        return f"Mohon tulis catatan: status “{label}” memerlukan penjelasan untuk pelapor."
    if len(note) > MAX_NOTE:
        return f"Catatan paling banyak {MAX_NOTE} huruf."
    return None


async def _ticket(
    request: Request,
    person: people.Person,
    service_request_id: str,
    status: int = 200,
    notice: Optional[str] = None,
    problem: Optional[str] = None,
    draft: Optional[Form] = None,
    part: bool = False,
    reveal: Optional[Reveal] = None,
) -> HTTPResponse:
    ctx = context(request)
    live_after = await live.latest_id(ctx.engine)
    found = await ticket_reads.ticket(ctx.engine, scope_of(person), service_request_id)
    if found is None:
        return views.error(request, 404, NOT_FOUND)
    now = utcnow()
    events = await tickets.history(ctx.engine, found.id)
    values: Dict[str, Any] = {
        "title": f"Laporan {found.service_request_id}",
        "ticket": found,
        "events": events,
        "waiting": asking.waiting_question(events, now, waits.default().question),
        "live_after": live_after,
        **_labels(request, now),
    }
    if part:
        return views.show(request, "console/_ticket_history.html", **values)
    if status == 200:
        async with ctx.engine.begin() as conn:
            # The page shows the citizen's words and place: reading it is accounted for.
            await people.audit(
                conn, person.username, "ticket.view", "ticket", found.service_request_id, {}
            )
    area = ctx.wilayah.by_code(found.kelurahan_code) if found.kelurahan_code else None
    similar = await ticket_reads.possible_duplicates(
        ctx.engine, scope_of(person), found, duplicates.default_rules()
    )
    service = ctx.catalogue.service(found.service_code)
    written = {k: v[0] for k, v in (draft or {}).items() if v}
    return views.show(
        request,
        "console/ticket.html",
        status,
        area=area,
        attributes=_attributes(found, service),
        has_sealed=any(_is_sealed(v) for v in found.attributes.values()),
        next_statuses=_next_statuses(found),
        note_required=sorted(workflow.NOTE_REQUIRED),
        similar=similar,
        departments=[
            d for d in ctx.catalogue.departments.values() if d.code != found.agency_responsible
        ],
        triage_department=routing.TRIAGE_DEPARTMENT,
        notice=notice,
        problem=problem,
        draft=written,
        canned=await canned_replies.of_department(ctx.engine, found.agency_responsible),
        voice_notes=await voice_notes.of_ticket(ctx.engine, found.id),
        reveal=reveal or Reveal(),
        **values,
    )


def _next_statuses(found: ticket_reads.Item) -> List[str]:
    """The statuses the workflow allows from here, in the workflow's own order."""
    allowed = workflow.TRANSITIONS.get(found.workflow_status, frozenset())
    return [status for status in workflow.OPEN311_STATUS if status in allowed]


def _attributes(found: ticket_reads.Item, service: Any) -> List[Tuple[str, str]]:
    """The category's extra answers as (question, answer), in the catalogue's words."""
    shown: List[Tuple[str, str]] = []
    for code, value in found.attributes.items():
        attribute = service.attribute(code) if service else None
        question = attribute.description if attribute else code
        if _is_sealed(value):
            shown.append(
                (question, f"…{value['last4']} (tersegel: buka lewat 'Data pribadi pelapor')")
            )
            continue
        values = value if isinstance(value, list) else [value]
        shown.append(
            (question, attribute.named(value) if attribute else ", ".join(map(str, values)))
        )
    return shown


# -- helpers -------------------------------------------------------------------------


def _actor(person: people.Person) -> str:
    return f"{person.display_name} ({person.username})"[:128]


def _labels(request: Request, now: datetime) -> Dict[str, Any]:
    """Helpers the templates use to name things as staff do."""
    ctx = context(request)

    def category(code: str) -> str:
        service = ctx.catalogue.service(code)
        return service.name if service else code

    def department(code: str) -> str:
        found = ctx.catalogue.departments.get(code)
        return found.name if found else code

    def kelurahan(code: Optional[str]) -> str:
        area = ctx.wilayah.by_code(code) if code else None
        return area.name if area else ""

    return {
        "now": now,
        "category": category,
        "department_name": department,
        "kelurahan_name": kelurahan,
        "status_label": workflow.label,
        "channel_label": lambda code: CHANNEL_LABELS.get(code, code or "-"),
        "age": lambda since: age(since, now),
        "time_left": lambda item: time_left(item, now),
        "osm": osm_link,
        "media_path": ticket_reads.local_media,
        "closure_label": lambda state: CLOSURE_LABELS.get(state or "", ""),
        "apart": lambda days: apart(timedelta(days=days)),
    }


def age(since: datetime, now: datetime) -> str:
    """'5 mnt', '3 jam', '4 hari': how long ago the citizen reported it."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} mnt"
    if seconds < 86400:
        return f"{seconds // 3600} jam"
    return f"{seconds // 86400} hari"


def time_left(item: ticket_reads.Item, now: datetime) -> str:
    """'sisa 2 hari', 'sisa 5 jam', 'terlambat 3 hari'; '' once closed."""
    if not item.is_open:
        return ""
    left = item.expected_at - now
    if left >= timedelta(0):
        return f"sisa {_span(left)}"
    return f"terlambat {_span(-left)}"


def apart(delta: timedelta) -> str:
    """How far apart two reports came: 'kurang dari 1 jam', '3 jam', '2 hari'."""
    if delta < timedelta(hours=1):
        return "kurang dari 1 jam"
    return _span(delta)


def _span(delta: timedelta) -> str:
    if delta >= timedelta(days=1):
        return f"{delta.days} hari"
    return f"{max(1, int(delta.total_seconds()) // 3600)} jam"


# -- transfer to another department (backend/routing.py) ------------------------------


@page(
    bp, "/<service_request_id:str>/transfer", QUEUE_ROLES, methods=("POST",), name="ticket_transfer"
)
async def transfer(
    request: Request, person: people.Person, service_request_id: str
) -> HTTPResponse:
    ctx = context(request)
    if await ticket_reads.ticket(ctx.engine, scope_of(person), service_request_id) is None:
        return views.error(request, 404, NOT_FOUND)
    form = form_of(request)
    to = one(form, "to")
    try:
        moved = await routing.transfer(
            ctx.engine,
            ctx.catalogue,
            service_request_id,
            to,
            one(form, "reason"),
            _actor(person),
            scope_of(person),
        )
    except (tickets.TicketNotFound, tickets.NotYourTicket):
        return views.error(request, 404, NOT_FOUND)
    except routing.RoutingError as exc:
        return await _ticket(request, person, service_request_id, 400, problem=str(exc), draft=form)
    target = ctx.catalogue.departments[moved.agency_responsible]
    if scope_of(person) is None:  # triage and admins still see it
        return redirect(f"/console/tickets/{service_request_id}?dialihkan=1", status=303)
    # It left this department's queue: back to the queue, saying where it went.
    query = urlencode({"dialihkan": service_request_id, "ke": target.name})
    return redirect(f"/console/tickets?{query}", status=303)


# -- asking the reporter (backend/asking.py) -----------------------------------------------

MIN_QUESTION = 5


@page(bp, "/<service_request_id:str>/ask", QUEUE_ROLES, methods=("POST",), name="ticket_ask")
async def ask(request: Request, person: people.Person, service_request_id: str) -> HTTPResponse:
    ctx = context(request)
    if await ticket_reads.ticket(ctx.engine, scope_of(person), service_request_id) is None:
        return views.error(request, 404, NOT_FOUND)
    form = form_of(request)
    question = one(form, "question")
    if not MIN_QUESTION <= len(question) <= asking.MAX_QUESTION:
        problem = f"Mohon tulis pertanyaan ({MIN_QUESTION} sampai {asking.MAX_QUESTION} huruf)."
        return await _ticket(request, person, service_request_id, 400, problem=problem, draft=form)
    try:
        await asking.ask(
            ctx.engine,
            service_request_id,
            question,
            actor=_actor(person),
            department=scope_of(person),
        )
    except (tickets.TicketNotFound, tickets.NotYourTicket):
        return views.error(request, 404, NOT_FOUND)
    except asking.CannotReach:
        problem = (
            "Pelapor tidak dapat ditanya lewat chat: laporan ini tidak masuk lewat "
            "WhatsApp atau widget."
        )
        return await _ticket(request, person, service_request_id, 400, problem=problem, draft=form)
    async with ctx.engine.begin() as conn:
        await people.audit(conn, person.username, "ticket.ask", "ticket", service_request_id, {})
    return redirect(f"/console/tickets/{service_request_id}?ditanyakan=1", status=303)


# -- revealing the reporter's number (issue 13) ------------------------------------------
# Never on the page by default: only as the answer to this form, with a reason
# that goes into the audit log, and only once (a reload does not show it again).

MIN_REASON = 10
MAX_REASON = 500


@dataclass(frozen=True)
class Reveal:
    """The reveal form's state on the ticket page."""

    reason: str = ""
    shown: bool = False
    phone: Optional[str] = None  # None once shown: the reporter left no number
    by: str = ""
    # Sealed answers (an NIK, lapor/identity.py) opened with the number: (question, digits).
    sealed: Tuple[Tuple[str, str], ...] = ()


def _is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and "sealed" in value and "last4" in value


def _opened(request: Request, found: ticket_reads.Item) -> Tuple[Tuple[str, str], ...]:
    """The ticket's sealed answers, opened (only ever for this reveal form)."""
    ctx = context(request)
    service = ctx.catalogue.service(found.service_code)
    opened: List[Tuple[str, str]] = []
    for code, value in found.attributes.items():
        if not _is_sealed(value):
            continue
        attribute = service.attribute(code) if service else None
        try:
            digits = identity.open_number(str(value["sealed"]), ctx.cipher)
        except (ContactError, ValueError):
            digits = "tidak dapat dibuka (kunci berbeda)"
        opened.append((attribute.description if attribute else code, digits))
    return tuple(opened)


@page(bp, "/<service_request_id:str>/reveal", QUEUE_ROLES, methods=("POST",), name="ticket_reveal")
async def reveal_phone(
    request: Request, person: people.Person, service_request_id: str
) -> HTTPResponse:
    ctx = context(request)
    found = await ticket_reads.ticket(ctx.engine, scope_of(person), service_request_id)
    if found is None:
        return views.error(request, 404, NOT_FOUND)
    reason = one(form_of(request), "reason")
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        problem = (
            f"Mohon tulis alasan membuka nomor pelapor ({MIN_REASON} sampai {MAX_REASON} huruf)."
        )
        return await _ticket(
            request, person, service_request_id, 400, problem=problem, reveal=Reveal(reason)
        )
    phone = await _reporter_phone(request, found.id)
    sealed = _opened(request, found)
    async with ctx.engine.begin() as conn:
        detail: Dict[str, Any] = {"reason": reason, "had_phone": phone is not None}
        if sealed:  # which sealed answers (an NIK) were opened with the number
            detail["sealed"] = [question for question, _ in sealed]
        await people.audit(
            conn, person.username, "ticket.reveal_phone", "ticket", service_request_id, detail
        )
    shown = Reveal(reason, shown=True, phone=phone, by=person.display_name, sealed=sealed)
    return await _ticket(request, person, service_request_id, reveal=shown)


async def _reporter_phone(request: Request, ticket_id: int) -> Optional[str]:
    statement = select(ticket_table.c.phone).where(ticket_table.c.id == ticket_id)
    async with context(request).engine.connect() as conn:
        phone: Optional[str] = (await conn.execute(statement)).scalar_one_or_none()
    return phone or None


# -- merging a duplicate (backend/merging.py) ------------------------------------------


@page(bp, "/<service_request_id:str>/merge", QUEUE_ROLES, methods=("POST",), name="ticket_merge")
async def merge(request: Request, person: people.Person, service_request_id: str) -> HTTPResponse:
    ctx = context(request)
    if await ticket_reads.ticket(ctx.engine, scope_of(person), service_request_id) is None:
        return views.error(request, 404, NOT_FOUND)
    into = one(form_of(request), "into")
    try:
        await merging.merge(ctx.engine, service_request_id, into, _actor(person), scope_of(person))
    except tickets.TicketNotFound as exc:
        if str(exc) == service_request_id:
            return views.error(request, 404, NOT_FOUND)
        problem = "Laporan tujuan penggabungan tidak ditemukan."
        return await _ticket(request, person, service_request_id, 400, problem=problem)
    except tickets.NotYourTicket:
        problem = "Laporan tujuan penggabungan tidak ditemukan."
        return await _ticket(request, person, service_request_id, 400, problem=problem)
    except merging.MergeError as exc:
        return await _ticket(request, person, service_request_id, 400, problem=str(exc))
    return redirect(f"/console/tickets/{service_request_id}?digabung=1", status=303)

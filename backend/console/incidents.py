"""The 112 operators' pages (issue 12): the board of incidents with the shift
panel, and one incident with everything needed to work it: accept, reply to
the citizen, dispatch agencies, notes, hand over, call back and resolve.

Every change is made by backend/emergency/incidents.py (one transaction with
its timeline entry, its sends and its live event); these routes read the
form, call it and show the result. A change that queued a message or a call
is sent at once from the request (`_flush`), so the citizen reads the
operator's words within a second instead of at the next worker pass.

Both pages update live (topic "incident"): the page script refetches the
board's list or the incident's timeline as a fragment (`?part=`), so what an
operator is typing in a form is never lost.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, List, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json, redirect

from backend import live, people
from backend.console import views
from backend.console.access import page
from backend.console.posted import Form, form_of, one, osm_link
from backend.context import context
from backend.emergency import incidents, reads, sends, shifts
from backend.emergency.incidents import IncidentConflict, IncidentError
from backend.voice import reads as voice_reads
from lapor import channels
from lapor.mediaurls import MEDIA_PATH
from lapor.timeutil import aware, utcnow

logger = logging.getLogger(__name__)

bp = Blueprint("console_incidents", url_prefix="/console/incidents")

OPERATORS = frozenset({"operator", "operator_supervisor"})
SUPERVISOR = incidents.SUPERVISOR
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")
CHANNEL_LABELS = {
    channels.WHATSAPP: "WhatsApp",
    channels.WEB: "Web chat",
    channels.PHONE: "Telepon",
}
STATE_LABELS = {
    incidents.OPEN: "Belum diterima",
    incidents.ACCEPTED: "Ditangani",
    incidents.RESOLVED: "Selesai",
}
# What the incident page says after a change (the redirect carries only the code).
DONE = {
    "diterima": "Kejadian sudah Bapak/Ibu terima. Pelapor sudah diberi tahu.",
    "dibalas": "Balasan sudah dikirim ke pelapor.",
    "instansi": "Instansi yang dihubungi sudah dicatat.",
    "catatan": "Catatan sudah disimpan.",
    "diserahkan": "Kejadian sudah diserahkan kepada kepala regu.",
    "telepon": "Telepon balik sedang disambungkan: telepon meja Bapak/Ibu akan berdering.",
    "selesai": "Kejadian sudah diselesaikan. Pelapor sudah diberi tahu.",
    "diambil": "Panggilan sudah Bapak/Ibu ambil: telepon meja Bapak/Ibu akan berdering.",
    # After the 112 call's sorting form (backend/console/calls.py).
    "jenis": "Jenis panggilan sudah dicatat.",
    "iseng": "Tanda iseng nomor ini sudah dihapus: panggilannya kembali ke antrean utama.",
}
NOT_FOUND = "Kejadian ini tidak ditemukan."

Change = Callable[[Form], Awaitable[None]]


# -- the board -----------------------------------------------------------------


@page(bp, "", OPERATORS)
async def board_page(request: Request, person: people.Person) -> HTTPResponse:
    if request.args.get("part") == "list":
        return await _board(request, person, template="console/_incident_list.html")
    return await _board(request, person)


@page(bp, "/shift", OPERATORS, methods=("POST",), name="incident_shift")
async def shift(request: Request, person: people.Person) -> HTTPResponse:
    form = form_of(request)
    engine = context(request).engine
    action = one(form, "action")
    if action == "end":
        await shifts.end(engine, person.id)
        return redirect("/console/incidents", status=303)
    if action != "start":
        return await _board(request, person, status=400, problem="Pilihan tidak dikenal.")
    phone = one(form, "phone")
    if phone and not PHONE.match(phone):
        problem = "Nomor telepon meja hanya boleh berisi angka, spasi, +, - dan tanda kurung."
        return await _board(request, person, status=400, problem=problem, phone=phone)
    await shifts.start(engine, person.id, phone or None)
    return redirect("/console/incidents?mulai=1", status=303)


async def _board(
    request: Request,
    person: people.Person,
    template: str = "console/incidents.html",
    status: int = 200,
    problem: Optional[str] = None,
    phone: str = "",
) -> HTTPResponse:
    ctx = context(request)
    # Before the read: the page's stream starts after it, so no change falls between.
    live_after = await live.latest_id(ctx.engine)
    found = await reads.board(ctx.engine)
    counts = await reads.history_counts(ctx.engine, found.unresolved)
    mine = await shifts.current(ctx.engine, person.id)
    on_duty = await shifts.on_duty(ctx.engine)
    return views.show(
        request,
        template,
        status,
        title="Darurat 112",
        board=found,
        counts=counts,
        shift=mine,
        others=[o for o in on_duty if o.id != person.id],
        started=bool(request.args.get("mulai")),
        problem=problem,
        phone=phone,
        live_after=live_after,
        **labels(request),
    )


# -- one incident ----------------------------------------------------------------


@page(bp, "/<incident_id:int>", OPERATORS)
async def incident_page(request: Request, person: people.Person, incident_id: int) -> HTTPResponse:
    part = request.args.get("part") == "timeline"
    notice = DONE.get(request.args.get("selesai") or "")
    return await incident_view(request, person, incident_id, notice=notice, part=part)


async def incident_view(
    request: Request,
    person: people.Person,
    incident_id: int,
    status: int = 200,
    notice: Optional[str] = None,
    problem: Optional[str] = None,
    draft: Optional[Form] = None,
    part: bool = False,
) -> HTTPResponse:
    ctx = context(request)
    live_after = await live.latest_id(ctx.engine)
    found = await reads.incident(ctx.engine, incident_id)
    if found is None:
        return views.error(request, 404, NOT_FOUND)
    entries = await reads.timeline(ctx.engine, incident_id)
    values: Dict[str, Any] = {
        "title": f"Kejadian #{incident_id}",
        "incident": found,
        "entries": entries,
        "said": reads.citizen_messages(entries, found.received_at),
        "photos": _photos(entries),
        "deliveries": await reads.deliveries(ctx.engine, incident_id),
        "may_work": _may_work(found, person),
        "live_after": live_after,
        **labels(request),
    }
    if part:
        return views.show(request, "console/_incident_timeline.html", **values)
    if status == 200:
        async with ctx.engine.begin() as conn:
            # The page shows the citizen's words and place: reading it is accounted for.
            await people.audit(
                conn, person.username, "incident.view", "incident", str(found.id), {}
            )
    mine = await shifts.current(ctx.engine, person.id)
    written = {k: v[0] for k, v in (draft or {}).items() if v}
    voice = await call_panel(request, found) if found.channel == channels.PHONE else {}
    return views.show(
        request,
        "console/incident.html",
        status,
        history=await reads.history(ctx.engine, found),
        agencies=ctx.agencies.ordered_for(found.kind),
        lead=ctx.agencies.type_of(found.kind).lead.code,
        supervisors=await _supervisors(request, person),
        shift=mine,
        can_call=found.has_contact and found.channel == channels.WHATSAPP,
        notice=notice,
        problem=problem,
        draft=written,
        # The form may be gone (the incident moved on): what was written is shown, not lost.
        kept=(written.get("text") or written.get("note")) if status == 409 else None,
        **voice,
        **values,
    )


@page(bp, "/<incident_id:int>/seen", OPERATORS, methods=("POST",), name="incident_seen")
async def seen(request: Request, person: people.Person, incident_id: int) -> HTTPResponse:
    engine = context(request).engine
    if await reads.incident(engine, incident_id) is None:
        return json({"error": NOT_FOUND}, status=404)
    first = await incidents.mark_seen(engine, incident_id, person)
    return json({"ok": True, "first": first})


@page(bp, "/<incident_id:int>/accept", OPERATORS, methods=("POST",), name="incident_accept")
async def accept(request: Request, person: people.Person, incident_id: int) -> HTTPResponse:
    async def change(form: Form) -> None:
        await incidents.accept(context(request).engine, incident_id, person)

    return await _act(request, person, incident_id, change, "diterima", flush=True)


@page(bp, "/<incident_id:int>/reply", OPERATORS, methods=("POST",), name="incident_reply")
async def reply(request: Request, person: people.Person, incident_id: int) -> HTTPResponse:
    async def change(form: Form) -> None:
        text = one(form, "text")
        await incidents.reply(context(request).engine, incident_id, person, text)

    return await _act(request, person, incident_id, change, "dibalas", flush=True)


@page(bp, "/<incident_id:int>/dispatch", OPERATORS, methods=("POST",), name="incident_dispatch")
async def dispatch(request: Request, person: people.Person, incident_id: int) -> HTTPResponse:
    async def change(form: Form) -> None:
        ctx = context(request)
        codes = [c for c in form.get("agency", []) if isinstance(c, str)]
        unknown = [c for c in codes if c not in ctx.agencies.agencies]
        if unknown:
            raise IncidentError("Instansi itu tidak ada di daftar. Mohon pilih dari daftar.")
        await incidents.dispatch(ctx.engine, incident_id, person, codes, ctx.agencies)

    return await _act(request, person, incident_id, change, "instansi")


@page(bp, "/<incident_id:int>/note", OPERATORS, methods=("POST",), name="incident_note")
async def note(request: Request, person: people.Person, incident_id: int) -> HTTPResponse:
    async def change(form: Form) -> None:
        text = one(form, "text")
        await incidents.add_note(context(request).engine, incident_id, person, text)

    return await _act(request, person, incident_id, change, "catatan")


@page(bp, "/<incident_id:int>/handover", OPERATORS, methods=("POST",), name="incident_handover")
async def handover(request: Request, person: people.Person, incident_id: int) -> HTTPResponse:
    async def change(form: Form) -> None:
        engine = context(request).engine
        username = one(form, "to")
        to = await people.person_by_name(engine, username) if username else None
        if to is None:
            raise IncidentError("Pilih kepala regu yang menerima kejadian ini.")
        await incidents.hand_over(engine, incident_id, person, to)

    return await _act(request, person, incident_id, change, "diserahkan")


@page(bp, "/<incident_id:int>/callback", OPERATORS, methods=("POST",), name="incident_callback")
async def callback(request: Request, person: people.Person, incident_id: int) -> HTTPResponse:
    async def change(form: Form) -> None:
        engine = context(request).engine
        mine = await shifts.current(engine, person.id)
        await incidents.call_back(engine, incident_id, person, mine.phone if mine else None)

    return await _act(request, person, incident_id, change, "telepon", flush=True)


@page(bp, "/<incident_id:int>/resolve", OPERATORS, methods=("POST",), name="incident_resolve")
async def resolve(request: Request, person: people.Person, incident_id: int) -> HTTPResponse:
    async def change(form: Form) -> None:
        text = one(form, "note")
        await incidents.resolve(context(request).engine, incident_id, person, text)

    return await _act(request, person, incident_id, change, "selesai", flush=True)


async def _act(
    request: Request,
    person: people.Person,
    incident_id: int,
    change: Change,
    done: str,
    flush: bool = False,
) -> HTTPResponse:
    """Make a change; answer with the incident page (or JSON for the page script)."""
    wants_json = "application/json" in request.headers.get("accept", "")
    if await reads.incident(context(request).engine, incident_id) is None:
        if wants_json:
            return json({"error": NOT_FOUND}, status=404)
        return views.error(request, 404, NOT_FOUND)
    form = form_of(request)
    try:
        await change(form)
    except IncidentError as exc:
        # The incident moved on (a race lost, a wrong state) or the input was bad.
        status = 409 if isinstance(exc, IncidentConflict) else 400
        if wants_json:
            return json({"error": str(exc)}, status=status)
        return await incident_view(
            request, person, incident_id, status, problem=str(exc), draft=form
        )
    if flush:
        await flush_sends(request, incident_id)
    if wants_json:
        return json({"ok": True})
    return redirect(f"/console/incidents/{incident_id}?selesai={done}", status=303)


async def flush_sends(request: Request, incident_id: int) -> None:
    """Send what the change queued now (this incident's only: another incident's
    sends are the workers'); the workers retry whatever fails."""
    senders: Optional[sends.Senders] = getattr(request.app.ctx, "senders", None)
    if senders is None:  # an app without its background start (tests)
        return
    try:
        await sends.flush(context(request).engine, senders, incident_id=incident_id)
    except Exception as exc:  # stored and committed already: the worker sends it later
        logger.warning("incident sends: not flushed at once: %s", exc)


# -- helpers -----------------------------------------------------------------------


async def call_panel(request: Request, found: reads.Incident) -> Dict[str, Any]:
    """The "Panggilan telepon" panel of a 112 call's incident (backend/console/calls.py)."""
    from backend.console import calls  # calls.py builds on this module: imported late

    engine = context(request).engine
    call = await voice_reads.of_incident(engine, found.id)
    if call is None:
        return {}
    line = request.app.ctx.voice_line
    return {
        "call": call,
        "call_history": await voice_reads.history(engine, call.caller, line, before=call.id),
        **calls.panel_values(request),
    }


def _may_work(found: reads.Incident, person: people.Person) -> bool:
    """Whether this person may reply, dispatch, hand over and call back."""
    if found.state != incidents.ACCEPTED:
        return False
    return found.owner_id == person.id or SUPERVISOR in person.roles


async def _supervisors(request: Request, person: people.Person) -> List[people.Person]:
    everyone = await people.everyone(context(request).engine)
    return [p for p in everyone if p.active and SUPERVISOR in p.roles and p.id != person.id]


def _photos(entries: List[reads.Entry]) -> List[str]:
    """The citizen's photos as this site's own /media/<id> paths (the CSP allows only 'self')."""
    found = []
    for entry in entries:
        for url in entry.photos:
            match = MEDIA_PATH.search(url)
            if match and match.group(0) not in found:
                found.append(match.group(0))
    return found


def labels(request: Request) -> Dict[str, Any]:
    """Helpers the templates use to name things as operators do."""
    directory = context(request).agencies
    return {
        "type_label": directory.label,
        "channel_label": lambda code: CHANNEL_LABELS.get(code, code or "-"),
        "state_label": lambda code: STATE_LABELS.get(code, code),
        "type_labels": {code: kind.label for code, kind in directory.types.items()},
        "offset": offset,
        "elapsed": elapsed,
        "osm": osm_link,
    }


def offset(at: datetime, start: datetime) -> str:
    """'+12 dtk', '+3 mnt 05 dtk', '+1 j 02 mnt': how long after the report."""
    seconds = max(0, int((aware(at) - aware(start)).total_seconds()))
    if seconds < 60:
        return f"+{seconds} dtk"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"+{minutes} mnt {seconds:02d} dtk"
    hours, minutes = divmod(minutes, 60)
    return f"+{hours} j {minutes:02d} mnt"


def elapsed(since: datetime, now: Optional[datetime] = None) -> str:
    """'03:12' or '1:02:03' since the report, as the page script ticks it on."""
    seconds = max(0, int(((now or utcnow()) - aware(since)).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes:02d}:{seconds:02d}"

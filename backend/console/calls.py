"""The 112 voice line's page for operators: the callers waiting in the queue
(with what the line heard and each caller's history), the calls that dropped
before anyone took them (one click to call back), and the last day's calls.

The changes themselves are backend/voice/operators.py's (take, sort, clear a
prank flag) and backend/emergency/incidents.py's (accept, call back); these
routes read the form, call them and, for anything that rings a phone, send
the incident's queued requests to Twilio at once (`flush_sends`): the caller
is already waiting, the next worker pass would add seconds.

The page updates live on the topic "incident" (a queued call files an
incident in the same transaction): the script refetches `?part=list`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend import live, people
from backend.console import views
from backend.console.access import page
from backend.console.incidents import OPERATORS, SUPERVISOR, flush_sends, incident_view, labels
from backend.console.posted import form_of, one
from backend.context import context
from backend.emergency import incidents, shifts
from backend.emergency.incidents import IncidentConflict, IncidentError
from backend.voice import calls, operators
from backend.voice import reads as voice_reads
from backend.voice.line import Line
from lapor.timeutil import utcnow

bp = Blueprint("console_calls", url_prefix="/console/panggilan")

NOT_FOUND = "Panggilan ini tidak ditemukan."
MAX_NOTE = 500
# How the operators name a call's class in a sentence ("2 iseng, 1 kosong").
CLASS_WORDS = {
    calls.VALID: "darurat",
    calls.INFORMATION: "informasi",
    calls.PRANK: "iseng",
    calls.GHOST: "kosong",
    None: "belum dipilah",
}
CLASS_ORDER = (calls.VALID, calls.INFORMATION, calls.PRANK, calls.GHOST, None)
ROUTE_LABELS = {
    "speech": "Berbicara",
    "keys": "Menekan tombol",
    "silent55": "Tidak bisa bicara (menekan 55)",
}
CALL_STATES = {
    calls.GREETING: "Mendengar salam",
    calls.PROMPT: "Diminta menekan 5",
    calls.QUEUED: "Menunggu di antrean",
    calls.CONNECTING: "Menyambung ke operator",
    calls.CONNECTED: "Tersambung",
    calls.ENDING: "Diakhiri (tanpa suara)",
    calls.ENDED: "Selesai",
}
# The WhatsApp message after a ghost call or a prank (backend/voice/messages.py).
MESSAGE_STATES = {
    "none": "Tidak ada",
    "pending": "Menunggu dikirim",
    "sent": "Terkirim",
    "undeliverable": "Tidak dapat dikirim",
    "failed": "Gagal dikirim",
}
MESSAGE_KINDS = {calls.GHOST: "Pesan panggilan kosong", calls.PRANK: "Peringatan iseng"}


# -- the queue page --------------------------------------------------------------


@page(bp, "", OPERATORS)
async def queue_page(request: Request, person: people.Person) -> HTTPResponse:
    if request.args.get("part") == "list":
        return await _queue(request, person, template="console/_call_list.html")
    return await _queue(request, person)


async def _queue(
    request: Request,
    person: people.Person,
    template: str = "console/calls.html",
    status: int = 200,
    problem: Optional[str] = None,
) -> HTTPResponse:
    ctx = context(request)
    # Before the reads: the page's stream starts after it, so no call falls between.
    live_after = await live.latest_id(ctx.engine)
    queued = await voice_reads.waiting(ctx.engine)
    dropped = await voice_reads.dropped(ctx.engine)
    latest = await voice_reads.recent(ctx.engine)
    found = await voice_reads.histories(ctx.engine, [*queued, *dropped], _line(request))
    return views.show(
        request,
        template,
        status,
        title="Panggilan 112",
        queued=queued,
        dropped=dropped,
        recent=latest,
        histories=found,
        shift=await shifts.current(ctx.engine, person.id),
        problem=problem,
        live_after=live_after,
        now=utcnow(),
        **labels(request),
        **panel_values(request),
    )


@page(bp, "/<call_id:int>/ambil", OPERATORS, methods=("POST",), name="call_take")
async def take(request: Request, person: people.Person, call_id: int) -> HTTPResponse:
    ctx = context(request)
    if await voice_reads.call(ctx.engine, call_id) is None:
        return views.error(request, 404, NOT_FOUND)
    mine = await shifts.current(ctx.engine, person.id)
    try:
        incident_id = await operators.take(
            ctx.engine, call_id, person, mine.phone if mine else None, _line(request)
        )
    except IncidentError as exc:
        return await _queue(request, person, status=_status(exc), problem=str(exc))
    await flush_sends(request, incident_id)
    return redirect(f"/console/incidents/{incident_id}?selesai=diambil", status=303)


@page(bp, "/<call_id:int>/telepon-balik", OPERATORS, methods=("POST",), name="call_back")
async def call_back(request: Request, person: people.Person, call_id: int) -> HTTPResponse:
    engine = context(request).engine
    call = await voice_reads.call(engine, call_id)
    if call is None:
        return views.error(request, 404, NOT_FOUND)
    mine = await shifts.current(engine, person.id)
    try:
        incident_id = _callable(call, mine.phone if mine else None)
        if call.incident_state == incidents.OPEN:
            await incidents.accept(engine, incident_id, person)
        await incidents.call_back(engine, incident_id, person, mine.phone if mine else None)
    except IncidentError as exc:
        return await _queue(request, person, status=_status(exc), problem=str(exc))
    await flush_sends(request, incident_id)
    return redirect(f"/console/incidents/{incident_id}?selesai=telepon", status=303)


# -- on the incident page ------------------------------------------------------------


@page(bp, "/<call_id:int>/jenis", OPERATORS, methods=("POST",), name="call_sort")
async def sort(request: Request, person: people.Person, call_id: int) -> HTTPResponse:
    ctx = context(request)
    call = await voice_reads.call(ctx.engine, call_id)
    if call is None or call.incident_id is None:
        return views.error(request, 404, NOT_FOUND)
    form = form_of(request)
    try:
        sorting = _sorting(form, ctx.agencies.agencies)
        await operators.sort(ctx.engine, call_id, person, sorting, ctx.agencies)
    except IncidentError as exc:
        return await incident_view(
            request, person, call.incident_id, _status(exc), problem=str(exc), draft=form
        )
    # A prank or an empty call is resolved: the citizen's message goes now.
    await flush_sends(request, call.incident_id)
    return redirect(f"/console/incidents/{call.incident_id}?selesai=jenis", status=303)


@page(bp, "/penelepon/hapus-iseng", (SUPERVISOR,), methods=("POST",), name="call_clear_prank")
async def clear_prank(request: Request, person: people.Person) -> HTTPResponse:
    """The call id names the caller: the pseudonym itself never travels in a form."""
    engine = context(request).engine
    given = one(form_of(request), "call")
    call = await voice_reads.call(engine, int(given)) if given.isdigit() else None
    if call is None:
        return views.error(request, 404, NOT_FOUND)
    if call.caller.startswith(voice_reads.ANONYMOUS):
        return views.error(request, 422, "Nomor penelepon ini disembunyikan: tidak ada tanda.")
    try:
        await operators.clear_prank(engine, call.caller, person)
    except IncidentError as exc:
        return views.error(request, 403, str(exc))
    if call.incident_id is None:
        return redirect("/console/panggilan", status=303)
    return redirect(f"/console/incidents/{call.incident_id}?selesai=iseng", status=303)


# -- helpers ---------------------------------------------------------------------------


def panel_values(request: Request) -> Dict[str, Any]:
    """What the call templates use to name things (the queue and the incident panel)."""
    directory = context(request).agencies
    return {
        "call_classes": [(code, operators.LABELS[code]) for code in calls.CLASSES],
        "emergency_types": [
            (code, directory.label(code)) for code in operators.emergencies(directory)
        ],
        "class_label": lambda code: operators.LABELS.get(code, "Belum dipilah"),
        "route_label": lambda code: ROUTE_LABELS.get(code, code or "-"),
        "call_state_label": lambda code: CALL_STATES.get(code, code),
        "message_label": message_label,
        "heard": heard,
        "history_line": history_line,
        "waited": waited,
    }


def history_line(found: voice_reads.History) -> str:
    """'3 panggilan sebelumnya: 2 iseng, 1 kosong; 1 laporan WhatsApp'."""
    parts: List[str] = []
    if found.earlier_calls:
        counts = ", ".join(
            f"{found.calls[kind]} {CLASS_WORDS[kind]}"
            for kind in CLASS_ORDER
            if found.calls.get(kind)
        )
        parts.append(f"{found.earlier_calls} panggilan sebelumnya: {counts}")
    if found.chats:
        parts.append(f"{found.chats} laporan WhatsApp")
    if found.tickets:
        parts.append(f"{found.tickets} pengaduan")
    if not parts:
        return "Penelepon baru: belum pernah menelepon atau melapor."
    return "; ".join(parts)


def heard(call: voice_reads.Call) -> str:
    """What the line heard, as the operator reads it before picking up."""
    if call.speech:
        return call.speech
    if call.route == "silent55":
        return "Tidak ada suara: penelepon menekan 55 (tidak bisa berbicara)."
    if call.digits:
        return f"Tidak ada suara: penelepon menekan tombol {call.digits}."
    return "Tidak ada suara yang terdengar."


def message_label(call: voice_reads.Call) -> str:
    if call.message_state == "none" or not call.message_kind:
        return "-"
    kind = MESSAGE_KINDS.get(call.message_kind, call.message_kind)
    return f"{kind}: {MESSAGE_STATES.get(call.message_state, call.message_state).lower()}"


def waited(call: voice_reads.Call) -> str:
    """'02:07': how long the caller has waited, as the page script ticks it on."""
    minutes, seconds = divmod(call.waiting_seconds(), 60)
    return f"{minutes:02d}:{seconds:02d}"


def _sorting(form: Any, known: Dict[str, Any]) -> operators.Sorting:
    kind = one(form, "kind")
    note = one(form, "call_note")
    if len(note) > MAX_NOTE:
        raise IncidentError(f"Catatan terlalu panjang (paling banyak {MAX_NOTE} huruf).")
    if kind != calls.VALID:
        # The emergency and the agencies belong to a real emergency only.
        return operators.Sorting(kind, note=note)
    codes = [c for c in form.get("agency", []) if isinstance(c, str)]
    if any(c not in known for c in codes):
        raise IncidentError("Instansi itu tidak ada di daftar. Mohon pilih dari daftar.")
    return operators.Sorting(kind, one(form, "emergency") or None, codes, note)


def _callable(call: voice_reads.Call, desk_phone: Optional[str]) -> int:
    """The incident to call back from; checked before anything changes."""
    if call.incident_id is None:
        raise IncidentError("Panggilan ini belum masuk antrean operator.")
    if not call.has_contact:
        raise IncidentError("Nomor penelepon disembunyikan: tidak dapat ditelepon balik.")
    if not desk_phone:
        raise IncidentError(
            "Isi nomor telepon meja Anda saat mulai bertugas untuk memakai telepon balik."
        )
    if call.incident_state == incidents.RESOLVED:
        raise IncidentConflict("Kejadian panggilan ini sudah selesai.")
    return call.incident_id


def _status(exc: IncidentError) -> int:
    """409: the call moved on (another operator, a hang-up); 422: the input cannot be used."""
    return 409 if isinstance(exc, IncidentConflict) else 422


def _line(request: Request) -> Line:
    line: Line = request.app.ctx.voice_line
    return line

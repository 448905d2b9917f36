"""The read-only conversation viewer (issue 11), for Diskominfo's triage and
admins: find a conversation by ticket number or pseudonym, or browse the
most recent ones, and read one as a chat transcript. Both pages update live
(SSE topic "conversation", published by backend/pipeline/).

Reading a citizen's conversation is recorded in the audit log: UU 27/2022
asks that access to personal data be accountable.
"""

from __future__ import annotations

import re
import unicodedata
from typing import List, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from backend import live, people, workflow
from backend.console import conversation_reads as reads
from backend.console import views
from backend.console.access import page
from backend.context import context
from backend.tickets import ID_PREFIX
from lapor import channels
from lapor.catalogue import Catalogue

bp = Blueprint("console_conversations", url_prefix="/console")

READERS = frozenset({"triage", "admin"})
MAX_QUERY = 128  # the longest sender key the pipeline stores
TICKET_NUMBER = re.compile(rf"^{ID_PREFIX}-\d{{4}}-\d{{1,12}}$", re.IGNORECASE)
LIST_TITLE = "Percakapan"
EXAMPLE_TICKET = f"{ID_PREFIX}-2026-000123"
CHANNEL_LABELS = {
    channels.WHATSAPP: "WhatsApp",
    channels.WEB: "Web",
    channels.PHONE: "Telepon",
}
ORIGIN_LABELS = {"bot": "Bot", "city": "Pemberitahuan kota", "operator": "Operator 112"}


def channel_label(rasa_channel: Optional[str]) -> str:
    """'socketio' -> 'Web': the channel as city employees name it."""
    if not rasa_channel:
        return "-"
    return CHANNEL_LABELS.get(channels.from_rasa(rasa_channel), rasa_channel)


def origin_label(origin: Optional[str]) -> str:
    return ORIGIN_LABELS.get(origin or "bot", ORIGIN_LABELS["bot"])


class BadQuery(ValueError):
    """A search the page cannot run; the message is for the person (Indonesian)."""


@page(bp, "/conversations", READERS)
async def conversation_list(request: Request, person: people.Person) -> HTTPResponse:
    query = (request.args.get("q") or "").strip()
    try:
        checked = check_query(query)
        if checked:
            return await _search(request, checked)
        return await _recent(request, request.args.get("before"))
    except (BadQuery, reads.BadCursor) as exc:
        message = str(exc) if isinstance(exc, BadQuery) else "Tautan halaman tidak valid."
        return _list_page(request, query, [], status=400, problem=message)


@page(bp, "/conversations/<conversation_id:int>", READERS)
async def conversation_view(
    request: Request, person: people.Person, conversation_id: int
) -> HTTPResponse:
    engine = context(request).engine
    found = await reads.conversation(engine, conversation_id)
    if found is None:
        return views.error(request, 404, "Percakapan ini tidak ditemukan.")
    # Taken before the transcript is read: the page asks the live stream for
    # everything after it, so no message falls between the two (the page
    # script drops the ones it already shows).
    live_after = await live.latest_id(engine)
    transcript = await reads.transcript(engine, conversation_id)
    filed = await reads.filed_tickets(engine, found.sender_key)
    async with engine.begin() as conn:
        await people.audit(
            conn, person.username, "conversation.view", "conversation", str(conversation_id), {}
        )
    catalogue = context(request).catalogue
    return views.show(
        request,
        "console/conversation.html",
        title=f"Percakapan #{conversation_id}",
        conversation=found,
        transcript=transcript,
        tickets=[
            {
                "number": t.service_request_id,
                "category": _category(catalogue, t.service_code),
                "status": workflow.label(t.workflow_status),
                "at": t.requested_at,
            }
            for t in filed
        ],
        live_after=live_after,
        channel_label=channel_label,
        origin_label=origin_label,
    )


def check_query(query: str) -> str:
    """The query as it will be searched; raises BadQuery for one that cannot be."""
    if len(query) > MAX_QUERY:
        raise BadQuery(
            f"Kata pencarian terlalu panjang (maksimal {MAX_QUERY} karakter). "
            "Masukkan nomor laporan atau pseudonim."
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in query):
        raise BadQuery("Kata pencarian berisi karakter yang tidak dapat dicari.")
    if TICKET_NUMBER.match(query):
        return query.upper()
    return query


async def _search(request: Request, query: str) -> HTTPResponse:
    engine = context(request).engine
    notice: Optional[str] = None
    if TICKET_NUMBER.match(query):
        exists, items = await reads.by_ticket(engine, query)
        if not exists:
            notice = f"Laporan {query} tidak ditemukan."
        elif not items:
            notice = (
                f"Laporan {query} tidak dibuat lewat percakapan dengan bot, "
                "atau percakapannya belum tercatat."
            )
    else:
        items = await reads.by_sender(engine, query)
        if not items:
            notice = "Tidak ada percakapan dengan pseudonim itu."
            if len(reads.distinctive(query)) < reads.MIN_PREFIX:
                notice += (
                    f" Untuk mencari dengan awalan pseudonim, masukkan minimal "
                    f"{reads.MIN_PREFIX} karakter."
                )
    return _list_page(request, query, items, notice=notice)


async def _recent(request: Request, cursor: Optional[str]) -> HTTPResponse:
    engine = context(request).engine
    live_after = await live.latest_id(engine)  # before the read: see conversation_view
    result = await reads.recent(engine, cursor)
    return _list_page(
        request,
        "",
        result.items,
        next_cursor=result.next_cursor,
        live_after=live_after if cursor is None else None,
    )


def _list_page(
    request: Request,
    query: str,
    items: List[reads.Summary],
    status: int = 200,
    problem: Optional[str] = None,
    notice: Optional[str] = None,
    next_cursor: Optional[str] = None,
    live_after: Optional[int] = None,
) -> HTTPResponse:
    return views.show(
        request,
        "console/conversations.html",
        status=status,
        title=LIST_TITLE,
        query=query,
        items=items,
        problem=problem,
        notice=notice,
        next_cursor=next_cursor,
        example_ticket=EXAMPLE_TICKET,
        channel_label=channel_label,
        # Only the first page of the most recent ones moves live: a search or
        # an older page keeps what was asked for.
        live=live_after is not None,
        live_after=live_after or 0,
    )


def _category(catalogue: Catalogue, code: str) -> str:
    service = catalogue.service(code)
    return service.name if service is not None else code

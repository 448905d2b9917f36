"""The department staff API: change a ticket's workflow status, publish it, read its history.

Authenticated with a department key in the `X-API-Key` header; a department
may only move or publish its own tickets (the `admin` key may do so for any).
Staff see the ticket as stored (serialize.ticket with public=False).

`POST /api/v1/requests/<id>/publication` with `{"verified": true, "place_public":
false}` verifies a ticket for the public Open311 view: its description, address and
photos are then shown (phone numbers and NIKs masked), and with `place_public` its
exact coordinates too (else rounded to about 100 m). `{"verified": false}` withdraws it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Dict, Iterator, List

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from backend import keys, serialize, tickets
from backend.context import AppContext, context
from backend.errors import Open311Error
from backend.inputs import header, require_text
from backend.workflow import TransitionError

bp = Blueprint("staff", url_prefix="/api/v1")

MAX_NOTE = 2000
MAX_ACTOR = 100


@bp.post("/requests/<service_request_id>/status")
async def change_status(request: Request, service_request_id: str) -> HTTPResponse:
    ctx = context(request)
    holder = await _holder(request, ctx)
    body = _json_body(request)
    status = body.get("status")
    note = body.get("note")
    _require_storable(status=status, note=note)
    problems: List[str] = []
    actor = _actor(body, holder, problems)
    if not isinstance(status, str) or not status:
        problems.append("status is required")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        problems.append(f"note must be text of at most {MAX_NOTE} characters")
    if problems:
        raise Open311Error(400, problems)
    with _translated(service_request_id):
        ticket = await tickets.change_status(
            ctx.engine,
            service_request_id,
            str(status),
            note=note,
            actor=actor,
            department=holder.scope,
        )
    return json(await _with_history(ctx, ticket))


@bp.post("/requests/<service_request_id>/publication")
async def publication(request: Request, service_request_id: str) -> HTTPResponse:
    ctx = context(request)
    holder = await _holder(request, ctx)
    body = _json_body(request)
    verified = body.get("verified")
    place_public = body.get("place_public", False)
    problems: List[str] = []
    actor = _actor(body, holder, problems)
    if not isinstance(verified, bool):
        problems.append("verified is required: true or false")
    if not isinstance(place_public, bool):
        problems.append("place_public must be true or false")
    if problems:
        raise Open311Error(400, problems)
    with _translated(service_request_id):
        ticket = await tickets.set_publication(
            ctx.engine,
            service_request_id,
            verified=bool(verified),
            place_public=bool(place_public),
            actor=actor,
            department=holder.scope,
        )
    return json(await _with_history(ctx, ticket))


@bp.get("/requests/<service_request_id>")
async def ticket_with_history(request: Request, service_request_id: str) -> HTTPResponse:
    ctx = context(request)
    holder = await _holder(request, ctx)
    ticket = await tickets.get_ticket(ctx.engine, service_request_id)
    if ticket is None:
        raise Open311Error.one(404, f"service_request_id {service_request_id!r} not found")
    if holder.scope is not None and ticket.agency_responsible != holder.scope:
        raise Open311Error.one(403, f"{service_request_id} belongs to another department")
    return json(await _with_history(ctx, ticket))


@contextmanager
def _translated(service_request_id: str) -> Iterator[None]:
    """The ticket store's refusals, as Open311 errors (one place for both routes)."""
    try:
        yield
    except tickets.TicketNotFound:
        raise Open311Error.one(
            404, f"service_request_id {service_request_id!r} not found"
        ) from None
    except tickets.NotYourTicket:
        raise Open311Error.one(403, f"{service_request_id} belongs to another department") from None
    except TransitionError as exc:
        raise Open311Error.one(400, str(exc)) from None


async def _holder(request: Request, ctx: AppContext) -> keys.Holder:
    given = header(request, "X-API-Key")
    if not given:
        raise Open311Error.one(403, "X-API-Key header with a department key is required")
    holder = await keys.holder_of(ctx.engine, given)
    if holder is None:
        raise Open311Error.one(403, "X-API-Key is not a valid department key")
    return holder


def _actor(body: Dict[str, Any], holder: keys.Holder, problems: List[str]) -> str:
    """Who acts, as the history records it: the name given (or the key's label) and department."""
    actor = body.get("actor") or holder.label or holder.department
    _require_storable(actor=actor)
    if not isinstance(actor, str) or len(actor) > MAX_ACTOR:
        problems.append(f"actor must be text of at most {MAX_ACTOR} characters")
    return f"{actor} ({holder.department})"


def _require_storable(**fields: Any) -> None:
    """400 for text no database can take (NUL characters), before it reaches SQL.

    (Path parameters arrive still percent-encoded: "%00" is three characters.)
    """
    require_text([(name, value) for name, value in fields.items() if isinstance(value, str)])


def _json_body(request: Request) -> Dict[str, Any]:
    try:
        body = request.json
    except Exception:  # Sanic raises InvalidUsage with its own text
        body = None
    if not isinstance(body, dict):
        raise Open311Error.one(
            400, 'send a JSON object, e.g. {"status": "diproses", "note": "..."}'
        )
    return body


async def _with_history(ctx: AppContext, ticket: tickets.Ticket) -> Dict[str, Any]:
    view = serialize.ticket(ticket, ctx.catalogue, ctx.wilayah, public=False)
    view["history"] = [serialize.event(e) for e in await tickets.history(ctx.engine, ticket.id)]
    return view

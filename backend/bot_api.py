"""The action server's way in for the citizen's words about their ticket:
the answer to a staff member's question (backend/asking.py), their verdict
on the closure check (backend/closure.py), and a report they chose to merge
into a similar one already being handled ("laporan serupa", backend/duplicates.py).

JSON in the shape of backend/json_api.py (bearer key, Open311 errors). The
bot only posts for the ticket the backend itself named in the conversation
(the slot it set when the question or the check was delivered).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from pydantic import BaseModel, confloat, conint, constr, root_validator
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from backend import asking, closure, duplicates, json_api, merging, ticket_reads, workflow
from backend.errors import Open311Error
from backend.media import require_stored
from backend.tickets import NotYourTicket, TicketNotFound
from lapor.timeutil import utcnow

bp = Blueprint("bot_api", url_prefix="/bot/v1")


class AnswerIn(BaseModel):
    text: Optional[constr(strip_whitespace=True, max_length=4000)] = None  # type: ignore[valid-type]
    media_url: Optional[constr(max_length=500)] = None  # type: ignore[valid-type]
    latitude: Optional[confloat(ge=-90, le=90)] = None  # type: ignore[valid-type]
    longitude: Optional[confloat(ge=-180, le=180)] = None  # type: ignore[valid-type]
    # The sender and their message (actions/latest.py): a second post is kept once.
    key: Optional[json_api.IdempotencyKey] = None  # type: ignore[valid-type]

    @root_validator(skip_on_failure=True)
    def _something(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if (values.get("latitude") is None) != (values.get("longitude") is None):
            raise ValueError("latitude and longitude come together")
        if not (
            values.get("text") or values.get("media_url") or values.get("latitude") is not None
        ):
            raise ValueError("an answer needs a text, a photo or a location")
        return values


class ProspectIn(BaseModel):
    """A report the bot is about to file, to look for one like it."""

    service_code: constr(min_length=1, max_length=64)  # type: ignore[valid-type]
    description: constr(max_length=4000) = ""  # type: ignore[valid-type]
    latitude: confloat(ge=-90, le=90)  # type: ignore[valid-type]
    longitude: confloat(ge=-180, le=180)  # type: ignore[valid-type]


class MergeIn(BaseModel):
    into: constr(strip_whitespace=True, min_length=1, max_length=32)  # type: ignore[valid-type]


class VerdictIn(BaseModel):
    fixed: bool
    words: Optional[constr(strip_whitespace=True, max_length=4000)] = None  # type: ignore[valid-type]
    rating: Optional[conint(ge=1, le=5)] = None  # type: ignore[valid-type]


@bp.post("/tickets/<service_request_id:str>/answers")
async def answer(request: Request, service_request_id: str) -> HTTPResponse:
    ctx = json_api.authorised(request)
    body = json_api.parse(AnswerIn, request)
    if body.media_url:
        await require_stored(ctx, [body.media_url])
    pin = None
    if body.latitude is not None and body.longitude is not None:
        pin = (float(body.latitude), float(body.longitude))
    given = asking.Answer(text=body.text or None, media_url=body.media_url, pin=pin)
    try:
        new = await asking.record_answer(ctx.engine, service_request_id[:32], given, key=body.key)
    except TicketNotFound:
        raise Open311Error.one(404, f"no ticket {service_request_id[:32]!r}") from None
    status = 201 if new else 200  # 200: recorded already, by the post this one repeats
    return json({"service_request_id": service_request_id[:32], "recorded": True}, status=status)


@bp.post("/tickets/<service_request_id:str>/closure")
async def verdict(request: Request, service_request_id: str) -> HTTPResponse:
    ctx = json_api.authorised(request)
    body = json_api.parse(VerdictIn, request)
    number = service_request_id[:32]
    try:
        state = await closure.record_verdict(
            ctx.engine, number, fixed=body.fixed, words=body.words or None, rating=body.rating
        )
    except TicketNotFound:
        raise Open311Error.one(404, f"no ticket {number!r}") from None
    except closure.ClosureNotOpen:
        raise Open311Error.one(
            409, f"ticket {number!r} is not waiting for a closure check"
        ) from None
    return json({"service_request_id": number, "closure_state": state})


@bp.post("/similar")
async def similar(request: Request) -> HTTPResponse:
    """The open ticket most like a report about to be filed, if any: the bot
    offers the citizen to follow it instead."""
    ctx = json_api.authorised(request)
    body = json_api.parse(ProspectIn, request)
    prospect = duplicates.Candidate(
        service_request_id="",
        service_code=body.service_code,
        description=body.description,
        lat=float(body.latitude),
        long=float(body.longitude),
        requested_at=utcnow(),
    )
    found = await ticket_reads.similar_open(ctx.engine, prospect, duplicates.default_rules())
    return json(
        {
            "tickets": [
                {
                    "service_request_id": m.ticket.service_request_id,
                    "workflow_status_label": workflow.label(m.ticket.status),
                    "distance_m": round(m.distance_m),
                }
                for m in found[:1]
            ]
        }
    )


@bp.post("/tickets/<service_request_id:str>/merge")
async def follow(request: Request, service_request_id: str) -> HTTPResponse:
    """The citizen chose to follow a similar ticket: theirs, just filed, is merged
    into it (their words stay on record), and they hear of its progress."""
    ctx = json_api.authorised(request)
    body = json_api.parse(MergeIn, request)
    number = service_request_id[:32]
    try:
        await merging.merge(
            ctx.engine, number, body.into, asking.CITIZEN, None, tell_reporter=False
        )
    except (TicketNotFound, NotYourTicket):
        raise Open311Error.one(404, f"no ticket {number!r} or {body.into!r}") from None
    except merging.MergeError as exc:
        raise Open311Error.one(409, str(exc)) from None
    return json({"service_request_id": number, "merged_into": body.into})

"""The Open311 GeoReport v2 API (JSON) at /open311/v2.

Reading tickets: anyone gets the public view (backend/serialize.py: text and
photos only after staff verification, masked; coordinates rounded), at most
PUBLIC_PAGE tickets a call. Trusted clients that send the `api_key` (the chatbot,
also for a reporter's own tickets by `account_id`) get the full view and up to
tickets.MAX_RESULTS a call.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta, timezone
from typing import List, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from backend import serialize, tickets
from backend.context import AppContext, context
from backend.errors import Open311Error
from backend.forms import fingerprint, parse_new_ticket
from backend.inputs import header, require_text
from backend.media import require_stored
from backend.net import client_address
from lapor.timeutil import parse_iso, to_utc, utcnow

bp = Blueprint("open311", url_prefix="/open311/v2")

DEFAULT_WINDOW = timedelta(days=90)  # Open311: no dates means the last 90 days
MAX_IDEMPOTENCY_KEY = 255
# A public list is a page of this many tickets at most (newest first).
PUBLIC_PAGE = 200
# Date filters outside these are refused: nothing was filed before, and beyond
# them datetime and the databases overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc)


@bp.get("/services.json")
async def list_services(request: Request) -> HTTPResponse:
    ctx = _checked(request)
    return json([serialize.service_summary(s) for s in ctx.catalogue.services.values()])


@bp.get("/services/<name>")
async def service_definition(request: Request, name: str) -> HTTPResponse:
    ctx = _checked(request)
    service = ctx.catalogue.service(_json_resource(name))
    if service is None:
        raise Open311Error.one(404, f"service_code {_json_resource(name)!r} not found")
    return json(serialize.service_definition(service))


@bp.post("/requests.json")
async def create_request(request: Request) -> HTTPResponse:
    ctx = _checked(request)
    form = _form(request)
    _require_api_key(ctx, form.get("api_key", [""])[0])
    new = parse_new_ticket(form, ctx.catalogue, ctx.wilayah, ctx.cipher, ctx.settings.public_url)
    await require_stored(ctx, new.media_urls)
    key = _idempotency_key(request)
    digest = fingerprint(form)
    try:
        created = await tickets.create_ticket(
            ctx.engine,
            new,
            idempotency_key=key,
            fingerprint=digest,
            hourly_limit=ctx.settings.max_tickets_per_hour,
            # The account a trusted channel vouches for; without one, the client's address.
            limit_key=new.account_id or f"address:{client_address(request)}",
        )
    except tickets.IdempotencyConflict:
        raise Open311Error.one(
            409, "Idempotency-Key was already used for a different request"
        ) from None
    except tickets.RateLimited as exc:
        raise Open311Error.one(
            429,
            f"{exc.recent} requests were created for this account this hour (limit {exc.limit})",
        ) from None
    headers = {"Idempotent-Replayed": "true"} if created.replayed else {}
    return json(
        serialize.created(created.ticket, ctx.catalogue),
        status=200 if created.replayed else 201,
        headers=headers,
    )


@bp.get("/requests.json")
async def list_requests(request: Request) -> HTTPResponse:
    ctx = _checked(request)
    trusted = _trusted(request, ctx)
    query = _ticket_query(request, ctx, trusted)
    found = await tickets.find_tickets(ctx.engine, query)
    return json(
        [serialize.ticket(t, ctx.catalogue, ctx.wilayah, public=not trusted) for t in found]
    )


@bp.get("/requests/<name>")
async def get_request(request: Request, name: str) -> HTTPResponse:
    ctx = _checked(request)
    service_request_id = _json_resource(name)
    trusted = _trusted(request, ctx)
    ticket = await tickets.get_ticket(ctx.engine, service_request_id)
    if ticket is None:
        raise Open311Error.one(404, f"service_request_id {service_request_id!r} not found")
    # Open311 answers a single request as a one-element list.
    return json([serialize.ticket(ticket, ctx.catalogue, ctx.wilayah, public=not trusted)])


def _checked(request: Request) -> AppContext:
    ctx = context(request)
    # Query parameters reach SQL as they are: refuse what no database can take.
    require_text((name, value) for name, values in request.args.items() for value in values)
    jurisdiction = request.args.get("jurisdiction_id") or _form_value(request, "jurisdiction_id")
    if jurisdiction and jurisdiction != ctx.settings.jurisdiction_id:
        raise Open311Error.one(404, f"jurisdiction_id {jurisdiction!r} is not served here")
    return ctx


def _json_resource(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot:
        return name
    if extension.lower() != "json":
        raise Open311Error.one(400, f"format {extension!r} is not supported; use .json")
    return stem


def _form(request: Request) -> dict[str, List[str]]:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise Open311Error.one(
            400, "send the request form-encoded (application/x-www-form-urlencoded)"
        )
    return {name: list(values) for name, values in request.form.items()}


def _form_value(request: Request, name: str) -> str | None:
    if request.method != "POST" or not request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return None
    return request.form.get(name)


def _require_api_key(ctx: AppContext, given: str) -> None:
    if not given:
        raise Open311Error.one(403, "api_key is required to create a service request")
    if not hmac.compare_digest(given.encode(), ctx.settings.open311_api_key.encode()):
        raise Open311Error.one(403, "api_key is not valid")


def _trusted(request: Request, ctx: AppContext) -> bool:
    """True when the client sent the valid api_key (a wrong one is refused)."""
    given = request.args.get("api_key", "")
    if given:
        _require_api_key(ctx, given)
    return bool(given)


def _idempotency_key(request: Request) -> str | None:
    key = header(request, "Idempotency-Key")
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise Open311Error.one(400, f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY}")
    return key or None


def _ticket_query(request: Request, ctx: AppContext, trusted: bool) -> tickets.TicketQuery:
    ids = _csv(request, "service_request_id")
    account_id = (request.args.get("account_id") or "").strip() or None
    if account_id and not trusted:
        # A reporter's own tickets are personal data: only trusted clients.
        _require_api_key(ctx, "")
    statuses = _csv(request, "status")
    bad = [s for s in statuses if s not in ("open", "closed")]
    if bad:
        raise Open311Error.one(400, f"status must be 'open' or 'closed', got {bad}")
    start, end = _dates(request)
    if not (ids or account_id or start or end):
        start = utcnow() - DEFAULT_WINDOW
    return tickets.TicketQuery(
        service_request_ids=ids,
        service_codes=_csv(request, "service_code"),
        statuses=statuses,
        start=start,
        end=end,
        account_id=account_id,
        limit=_limit(request, tickets.MAX_RESULTS if trusted else PUBLIC_PAGE),
    )


def _limit(request: Request, most: int) -> int:
    """`limit` (our extension of GeoReport v2): the newest N only, at most `most`."""
    raw = request.args.get("limit")
    if raw is None:
        return most
    if not raw.strip().isdigit() or not 1 <= int(raw) <= most:
        raise Open311Error.one(400, f"limit must be a whole number from 1 to {most}")
    return int(raw)


def _csv(request: Request, name: str) -> List[str]:
    raw = ",".join(request.args.getlist(name) or [])
    return [part.strip() for part in raw.split(",") if part.strip()]


def _dates(request: Request) -> Tuple[datetime | None, datetime | None]:
    """start_date and end_date, in UTC."""
    parsed: List[datetime | None] = []
    for name in ("start_date", "end_date"):
        raw = request.args.get(name)
        parsed.append(_date(name, raw) if raw else None)
    start, end = parsed
    if start and end and start > end:
        raise Open311Error.one(400, "start_date must not be after end_date")
    return start, end


def _date(name: str, raw: str) -> datetime:
    try:
        value = parse_iso(raw)
    except ValueError:
        raise Open311Error.one(
            400, f"{name} must be an ISO-8601 date-time, e.g. 2026-11-27T08:00:00+07:00"
        ) from None
    try:
        utc: datetime | None = to_utc(value)
    except ValueError:  # year 1 at +14:00: before anything UTC can hold
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise Open311Error.one(
            400, f"{name} must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}"
        )
    return utc

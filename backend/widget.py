"""The web chat widget: its script, the demo city page, photo uploads, its
sessions and the city's messages to it. (There is no page on the REST
channel: it wants a token no browser may hold.)

`/widget.js` is what the city's web team embeds; `/` is a demo page of the
city site with the widget on it.

A widget gets its conversation id from `POST /api/v1/widget/sessions` with a
token (an HMAC of the id, lapor/webchat.py); nothing else makes a session.
The token proves the session everywhere: to the Rasa channel when the
socket joins the conversation, here to read what the city sent while the
widget was closed (`GET /api/v1/widget/messages?session=<id>&after=<stream
id>` with `X-Widget-Token`) and to upload a photo (`POST
/api/v1/widget/media` with `X-Widget-Session` and `X-Widget-Token`; no key,
since a citizen's browser cannot keep a secret; the image checks of
backend/media.py apply, and CORS allows the city's sites).

Anonymous as they are, uploads are limited per session and per client
address (backend/limits.py, across replicas): attempts per hour, counted
before the costly decode, and stored bytes per day, counted in the insert's
transaction. New sessions are limited per address, so minting sessions is
no way around the per-session limits. The address is the one backend/net.py
trusts (BACKEND_PROXIES_COUNT); IPv6 clients count per /64, the block one
subscriber gets. Over a limit: 429 with Retry-After.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

from redis.exceptions import RedisError
from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, file, html, text
from sanic.response import json as json_response
from sanic_cors import CORS
from sqlalchemy.ext.asyncio import AsyncConnection

from backend import limits, media
from backend.context import context
from backend.errors import Open311Error
from backend.limits import Limit, LimitExceeded
from backend.net import limit_address
from lapor import webchat
from lapor.settings import MiB

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor"
TOKEN_HEADER = "X-Widget-Token"
SESSION_HEADER = "X-Widget-Session"
MAX_SESSION_LENGTH = webchat.MAX_SESSION_LENGTH
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# What each limit counts, for the 429's description.
COUNTED: Dict[str, str] = {
    "widget-uploads": "photo uploads",
    "widget-upload-bytes": "stored photo bytes",
    "widget-sessions": "new chat sessions",
}

logger = logging.getLogger(__name__)

bp = Blueprint("widget")


@lru_cache(maxsize=4)
def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


@bp.get("/")
async def demo_page(request: Request) -> HTTPResponse:
    """The city site with the widget (the Rasa URL goes into an HTML attribute)."""
    url = json.dumps(context(request).settings.rasa_public_url)[1:-1]
    return html(_read("demo.html").replace("__RASA_URL__", url))


@bp.get("/widget.js")
async def widget_script(request: Request) -> HTTPResponse:
    return text(
        _read("widget.js"),
        content_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@bp.get("/vendor/<name>")
async def vendor(request: Request, name: str) -> HTTPResponse:
    path = (VENDOR / name).resolve()
    if path.parent != VENDOR or not path.is_file() or not name.endswith(".js"):
        raise Open311Error.one(404, "not found")
    return await file(
        path,
        mime_type="application/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@bp.post("/api/v1/widget/media")
async def widget_upload(request: Request) -> HTTPResponse:
    """A citizen's photo, from a session the backend issued, within its limits."""
    ctx = context(request)
    settings = ctx.settings
    session = request.headers.get(SESSION_HEADER, "")
    if not webchat.valid_token(_token_key(request), session, request.headers.get(TOKEN_HEADER)):
        return _error(
            request,
            403,
            f"{SESSION_HEADER} and {TOKEN_HEADER} from POST /api/v1/widget/sessions are required",
        )
    by_session, by_address = f"session:{session}", f"address:{limit_address(request)}"
    attempts = (
        (Limit("widget-uploads", settings.widget_uploads_per_hour, HOUR), by_session),
        (Limit("widget-uploads", settings.widget_address_uploads_per_hour, HOUR), by_address),
    )
    stored = (
        (Limit("widget-upload-bytes", settings.widget_upload_bytes_per_day, DAY), by_session),
        (
            Limit("widget-upload-bytes", settings.widget_address_upload_bytes_per_day, DAY),
            by_address,
        ),
    )
    try:
        # Counted before the decode (what costs): refused attempts use up the allowance too.
        async with ctx.engine.begin() as conn:
            await _take(conn, attempts, 1)
        photo = await media.photo_from(request)
        # Counted with the insert: a photo refused by its quota is not stored, nor counted.
        async with ctx.engine.begin() as conn:
            await _take(conn, stored, len(photo.data))
            media_id = await media.insert_photo(conn, photo)
    except LimitExceeded as exc:
        return _too_many(request, exc)
    except Open311Error as exc:
        # Answered here, not by the app's error handler: sanic_cors adds its
        # headers to responses, not to raised errors, and the widget must read why.
        return _error(request, exc.status, "; ".join(exc.descriptions))
    return media.created(ctx, media_id)


@bp.post("/api/v1/widget/sessions")
async def new_session(request: Request) -> HTTPResponse:
    """A fresh conversation id and the token that proves it (nothing is stored)."""
    limit = Limit("widget-sessions", context(request).settings.widget_sessions_per_hour, HOUR)
    try:
        await limits.check(context(request).engine, limit, f"address:{limit_address(request)}")
    except LimitExceeded as exc:
        return _too_many(request, exc)
    session, token = webchat.issue_session(_token_key(request))
    return _json(request, {"session": session, "token": token}, status=201)


@bp.get("/api/v1/widget/messages")
async def city_messages(request: Request) -> HTTPResponse:
    """What the city sent this session after stream id `after`, oldest first."""
    session = request.args.get("session", "")
    after = request.args.get("after", "0") or "0"
    if not session or len(session) > MAX_SESSION_LENGTH:
        return _error(request, 400, f"session is required, at most {MAX_SESSION_LENGTH} characters")
    if not webchat.is_stream_id(after):
        return _error(request, 400, "after must be a stream id, e.g. 1700000000000-0")
    token = request.headers.get(TOKEN_HEADER, "")
    if not webchat.valid_token(_token_key(request), session, token):
        return _error(request, 403, f"{TOKEN_HEADER} does not prove this session")
    store = _store(request)
    if store is None:  # no REDIS_URL: this deployment stores no web chat messages
        return _json(request, [])
    try:
        return _json(request, await store.after(session, after))
    except RedisError as exc:
        logger.error("web chat messages unreadable: %s", exc)
        return _error(request, 503, "messages cannot be read now; try again later")


@bp.listener("after_server_stop")
async def _close_store(app: Sanic, _loop: Any) -> None:
    store = getattr(app.ctx, "webchat_store", None)
    if store is not None:
        await store.close()


def _store(request: Request) -> Optional[webchat.MessageStore]:
    """The app's reader of the web chat streams, made on first use (in the server's loop)."""
    app_ctx = request.app.ctx
    store: Optional[webchat.MessageStore] = getattr(app_ctx, "webchat_store", None)
    url = context(request).settings.redis_url
    if store is None and url:
        store = app_ctx.webchat_store = webchat.MessageStore.from_url(url)
    return store


async def _take(conn: AsyncConnection, counted: Sequence[Tuple[Limit, str]], amount: int) -> None:
    for limit, who in counted:
        await limits.take(conn, limit, who, amount)


def _too_many(request: Request, exc: LimitExceeded) -> HTTPResponse:
    limit = exc.limit
    seconds = max(1, math.ceil(exc.retry_after.total_seconds()))
    most = f"{limit.most / MiB:g} MB" if limit.name.endswith("-bytes") else str(limit.most)
    period = "day" if limit.window >= DAY else "hour"
    description = (
        f"too many {COUNTED.get(limit.name, limit.name)} (at most {most} per {period}); "
        f"retry after {seconds} seconds"
    )
    return _error(request, 429, description, headers={"Retry-After": str(seconds)})


def _token_key(request: Request) -> bytes:
    return webchat.session_key(context(request).settings.contact_key.encode())


def _json(
    request: Request, body: Any, status: int = 200, headers: Optional[Dict[str, str]] = None
) -> HTTPResponse:
    # Never cached: the answer is one citizen's and changes with every message.
    return json_response(
        body, status=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def _error(
    request: Request, status: int, description: str, headers: Optional[Dict[str, str]] = None
) -> HTTPResponse:
    # The Open311 error shape, with CORS so the widget can read it.
    body = [{"code": status, "description": description}]
    return _json(request, body, status=status, headers=headers)


def install_cors(app: Sanic, origins: Tuple[str, ...]) -> None:
    """The city's sites (WIDGET_ALLOWED_ORIGINS) may load the widget and call its
    endpoints; sanic_cors answers the preflights and adds the headers, errors included."""
    widget_paths = {"origins": list(origins)}
    CORS(
        app,
        resources={
            r"/widget.js": widget_paths,
            r"/vendor/*": widget_paths,
            r"/api/v1/widget/*": widget_paths,
        },
        methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type", TOKEN_HEADER, SESSION_HEADER],
        expose_headers=["Retry-After"],
        automatic_options=True,
    )

"""The web chat widget: its script, the demo city page, the plain chat test
page, photo uploads, its sessions and the city's messages to it.

`/widget.js` is what the city's web team embeds; `/` is a demo page of the
city site with the widget on it. Browsers upload photos to
`/api/v1/widget/media` (no key: the citizen's browser cannot keep a secret;
the image checks of backend/media.py apply, and CORS allows the city's sites).

A widget gets its conversation id from `POST /api/v1/widget/sessions` with a
token (an HMAC of the id, lapor/webchat.py), and proves it with that token
(`X-Widget-Token`) to read what the city sent it while it was closed:
`GET /api/v1/widget/messages?session=<id>&after=<stream id>`.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Tuple

from redis.exceptions import RedisError
from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, file, html, text
from sanic.response import json as json_response
from sanic_cors import CORS

from backend import media
from backend.context import context
from backend.errors import Open311Error
from lapor import webchat

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor"
TOKEN_HEADER = "X-Widget-Token"
MAX_SESSION_LENGTH = 128

logger = logging.getLogger(__name__)

bp = Blueprint("widget")


@lru_cache(maxsize=4)
def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


@bp.get("/")
async def demo_page(request: Request) -> HTTPResponse:
    """The city site with the widget (the Rasa URL goes into an HTML attribute)."""
    return _page(request, "demo.html", quoted=False)


@bp.get("/chat")
async def chat_test_page(request: Request) -> HTTPResponse:
    """A plain page on the REST channel, for developers (the URL goes into JS)."""
    return _page(request, "chat.html", quoted=True)


def _page(request: Request, name: str, quoted: bool) -> HTTPResponse:
    url = json.dumps(context(request).settings.rasa_public_url)
    return html(_read(name).replace("__RASA_URL__", url if quoted else url[1:-1]))


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
    return await media.store(request)


@bp.post("/api/v1/widget/sessions")
async def new_session(request: Request) -> HTTPResponse:
    """A fresh conversation id and the token that proves it (nothing is stored)."""
    session = webchat.new_session()
    token = webchat.session_token(_token_key(request), session)
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


def _token_key(request: Request) -> bytes:
    return webchat.session_key(context(request).settings.contact_key.encode())


def _json(request: Request, body: Any, status: int = 200) -> HTTPResponse:
    # Never cached: the answer is one citizen's and changes with every message.
    headers = {"Cache-Control": "no-store"}
    return json_response(body, status=status, headers=headers)


def _error(request: Request, status: int, description: str) -> HTTPResponse:
    # The Open311 error shape, with CORS so the widget can read it.
    return _json(request, [{"code": status, "description": description}], status=status)


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
        allow_headers=["Content-Type", TOKEN_HEADER],
        automatic_options=True,
    )

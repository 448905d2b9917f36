"""The web chat widget: its script, the demo city page, the plain chat test
page, and photo uploads.

`/widget.js` is what the city's web team embeds; `/` is a demo page of the
city site with the widget on it. Browsers upload photos to
`/api/v1/widget/media` (no key: the citizen's browser cannot keep a secret;
the image checks of backend/media.py apply, and CORS allows the city's sites).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, file, html, text

from backend import media
from backend.context import context
from backend.errors import Open311Error

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor"

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
        headers={"Cache-Control": "public, max-age=300", **_cors(request)},
    )


@bp.get("/vendor/<name>")
async def vendor(request: Request, name: str) -> HTTPResponse:
    path = (VENDOR / name).resolve()
    if path.parent != VENDOR or not path.is_file() or not name.endswith(".js"):
        raise Open311Error.one(404, "not found")
    return await file(
        path,
        mime_type="application/javascript",
        headers={"Cache-Control": "public, max-age=86400", **_cors(request)},
    )


@bp.route("/api/v1/widget/media", methods=["POST", "OPTIONS"])
async def widget_upload(request: Request) -> HTTPResponse:
    if request.method == "OPTIONS":
        return text("", status=204, headers=_cors(request))
    response = await media.store(request)
    response.headers.update(_cors(request))
    return response


def _cors(request: Request) -> dict[str, str]:
    allowed = context(request).settings.widget_origins
    origin = request.headers.get("origin", "")
    if "*" in allowed:
        value = "*"
    elif origin in allowed:
        value = origin
    else:
        return {}
    return {
        "Access-Control-Allow-Origin": value,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Vary": "Origin",
    }

"""A plain page to chat with the bot through Rasa's REST channel (for testing).

The city's real chat widget is its own feature; this page only needs a
browser and the Rasa server's URL.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, html

from backend.context import context

PAGE = Path(__file__).resolve().parent / "static" / "chat.html"

bp = Blueprint("chat_page")


@lru_cache(maxsize=1)
def _template() -> str:
    return PAGE.read_text(encoding="utf-8")


@bp.get("/chat")
async def chat(request: Request) -> HTTPResponse:
    rasa_url = context(request).settings.rasa_public_url
    return html(_template().replace("__RASA_URL__", json.dumps(rasa_url)))

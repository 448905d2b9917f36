"""Only the Rasa server may run actions: it presents ACTION_SERVER_TOKEN.

Anyone else who reached the action server could post a forged tracker and
file tickets with its Open311 key. /health stays open for load balancers.
"""

from __future__ import annotations

from typing import Optional

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from lapor import bearer

OPEN_PATHS = frozenset({"/health"})


def require_token(app: Sanic, token: str) -> None:
    """Refuses (401) every request but /health without `Authorization: Bearer <token>`."""

    @app.on_request
    async def _authenticate(request: Request) -> Optional[HTTPResponse]:
        given = request.headers.get("authorization")
        if request.path in OPEN_PATHS or bearer.matches(given, token):
            return None
        return json({"error": "Authorization: Bearer <ACTION_SERVER_TOKEN> required"}, 401)

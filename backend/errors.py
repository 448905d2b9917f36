"""Open311 error bodies: a list of {"code", "description"} with the HTTP status."""

from __future__ import annotations

import logging
from typing import List, Sequence

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait while the database is unreachable.
RETRY_AFTER = 5


class Open311Error(Exception):
    def __init__(self, status: int, descriptions: Sequence[str]) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions: List[str] = list(descriptions)

    @classmethod
    def one(cls, status: int, description: str) -> Open311Error:
        return cls(status, [description])


def error_response(status: int, descriptions: Sequence[str]) -> HTTPResponse:
    return json([{"code": status, "description": d} for d in descriptions], status=status)


def install_error_handlers(app: Sanic) -> None:
    @app.exception(Open311Error)
    async def _open311(request: Request, exc: Open311Error) -> HTTPResponse:
        return error_response(exc.status, exc.descriptions)

    @app.exception(DBAPIError, ConnectionError)
    async def _database_unreachable(request: Request, exc: Exception) -> HTTPResponse:
        # Retrying is safe: an Idempotency-Key replays the ticket if the commit landed.
        logger.error("database unreachable on %s %s: %s", request.method, request.path, exc)
        response = error_response(503, ["the database is unavailable; please retry shortly"])
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response

    @app.exception(SanicException)
    async def _sanic(request: Request, exc: SanicException) -> HTTPResponse:
        # 404s for unknown paths, 405s, oversized bodies: same body shape.
        status = getattr(exc, "status_code", 500) or 500
        return error_response(status, [str(exc) or "error"])

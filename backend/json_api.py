"""The shape of the backend's internal JSON APIs for the action server
(/emergency/v1, /bot/v1): the action server's API key as a bearer token
(OPEN311_API_KEY, the key it already files reports with), pydantic bodies,
and errors as Open311 lists of {"code", "description"}, so the action server
reads every backend answer the same way."""

from __future__ import annotations

import hmac
from typing import Any, List, Optional, Tuple, Type, TypeVar

from pydantic import BaseModel, ValidationError, constr
from sanic.request import Request

from backend.context import AppContext, context
from backend.errors import Open311Error
from backend.inputs import header, text_problems

Body = TypeVar("Body", bound=BaseModel)
# The action server's idempotency keys (an incident's, an answer's): a hash or a call's id.
IdempotencyKey = constr(
    strip_whitespace=True, min_length=8, max_length=64, regex=r"^[A-Za-z0-9_.:-]+$"
)


def authorised(request: Request, key: Optional[str] = None) -> AppContext:
    """The app's context, once the request carries the key: the action server's
    (OPEN311_API_KEY) unless another is named (the editor tool's EDITOR_TOKEN)."""
    ctx = context(request)
    expected = key if key is not None else ctx.settings.open311_api_key
    given = header(request, "Authorization").removeprefix("Bearer ").strip()
    if not given:
        raise Open311Error.one(401, "an Authorization: Bearer <api key> header is required")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Open311Error.one(403, "the api key is not valid")
    return ctx


def parse(model: Type[Body], request: Request) -> Body:
    """The JSON body as `model`, every text in it storable; else a 400 naming each fault."""
    try:
        raw = request.json
    except Exception:  # Sanic raises its own error for a body that is not JSON
        raise Open311Error.one(400, "the body must be JSON") from None
    if not isinstance(raw, dict):
        raise Open311Error.one(400, "the body must be a JSON object")
    try:
        body = model.parse_obj(raw)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise Open311Error(400, problems) from None
    problems = text_problems(_texts(body.dict(), "body"))
    if problems:  # no NUL, no lone surrogate: PostgreSQL would refuse them later
        raise Open311Error(400, problems)
    return body


def _texts(value: Any, name: str) -> List[Tuple[str, str]]:
    if isinstance(value, str):
        return [(name, value)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, f"{name}.{k}")]
    if isinstance(value, list):
        return [t for i, v in enumerate(value) for t in _texts(v, f"{name}[{i}]")]
    return []

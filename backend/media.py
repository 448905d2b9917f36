"""Photos attached to reports: stored in the database (every replica sees
them), served at /media/<id>, uploaded by trusted clients (the chat channels)."""

from __future__ import annotations

import hmac
import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json, raw
from sqlalchemy import insert, select

from backend.context import context
from backend.errors import Open311Error
from backend.tables import media
from lapor.settings import MiB
from lapor.timeutil import utcnow

ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
# The first bytes of each allowed format: the declared type must be true.
SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}

bp = Blueprint("media")


@bp.post("/api/v1/media")
async def upload(request: Request) -> HTTPResponse:
    """For trusted clients (the WhatsApp channel), with the Open311 api_key."""
    ctx = context(request)
    given = request.headers.get("x-api-key", "")
    if not given or not hmac.compare_digest(given.encode(), ctx.settings.open311_api_key.encode()):
        raise Open311Error.one(403, "X-API-Key with the Open311 api_key is required")
    return await store(request)


async def store(request: Request) -> HTTPResponse:
    """Checks the image in the request body and keeps it; answers its URL."""
    ctx = context(request)
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    data = request.body or b""
    if content_type not in ALLOWED_TYPES:
        raise Open311Error.one(
            400, f"only images are accepted ({', '.join(sorted(ALLOWED_TYPES))})"
        )
    if not data:
        raise Open311Error.one(400, "the request body (the image) is empty")
    limit = ctx.settings.max_photo_bytes
    if len(data) > limit:
        raise Open311Error.one(400, f"image is larger than {limit / MiB:g} MB")
    if not data.startswith(SIGNATURES[content_type]):
        raise Open311Error.one(400, f"the body is not a {content_type} image")
    media_id = secrets.token_hex(16)
    async with ctx.engine.begin() as conn:
        await conn.execute(
            insert(media).values(
                id=media_id,
                content_type=content_type,
                data=data,
                size=len(data),
                created_at=utcnow(),
            )
        )
    url = f"{ctx.settings.public_url}/media/{media_id}"
    return json({"id": media_id, "url": url}, status=201)


@bp.get("/media/<media_id>")
async def download(request: Request, media_id: str) -> HTTPResponse:
    ctx = context(request)
    async with ctx.engine.connect() as conn:
        row = (await conn.execute(select(media).where(media.c.id == media_id))).first()
    if row is None:
        raise Open311Error.one(404, "media not found")
    return raw(
        row.data,
        content_type=row.content_type,
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )

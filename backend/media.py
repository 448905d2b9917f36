"""Photos attached to reports: stored in the database (every replica sees
them), served at /media/<id>, uploaded by trusted clients (the chat channels)
and by the widget (backend/widget.py, with its own limits).

Every upload is decoded for real (Pillow) and re-encoded before it is kept:
a file that only starts like an image (a GIF header followed by HTML, a WAV
file declared as WebP), a truncated one, or one that would decode to too many
pixels (a decompression bomb) is refused; what is stored is a fresh JPEG made
from the decoded pixels, turned upright by its EXIF orientation and then
stripped of all metadata (EXIF with the GPS position of a phone photo, XMP,
comments, ICC profiles), its longest side at most PHOTO_MAX_SIDE.

The decoded format decides, not the declared type: the declared
Content-Type only has to name one of the accepted image types, since
browsers derive it from the file name and a PNG saved as .jpg is still a
photo. Formats other than JPEG, PNG, WebP and GIF are never parsed at all.

Voice notes (WhatsApp's Ogg/Opus, MP3, M4A, AAC, AMR; lapor/audio.py) come
only through the trusted upload route. They are stored as sent, with their
type, and never decoded: the body must open with its declared container's
magic bytes, so a text file named .ogg is refused. Only images count as a
report's photo (`require_stored`): a voice note is played from the
conversation that carried it, never shown as a ticket's photo.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import secrets
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Sequence

from PIL import Image, ImageOps
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json, raw
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.context import AppContext, context
from backend.errors import Open311Error
from backend.inputs import header
from backend.settings import BackendSettings
from backend.tables import media
from lapor import audio, mediaurls
from lapor.settings import MiB
from lapor.timeutil import utcnow

ACCEPTED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
# The Pillow decoders an upload may reach: nothing else is even tried.
DECODERS = ("JPEG", "PNG", "WEBP", "GIF")
STORED_TYPE = "image/jpeg"
JPEG_QUALITY = 85
# Decoding is CPU and memory heavy: at most this many at once per process,
# the rest wait their turn (the event loop stays free meanwhile).
_DECODING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="photo-decode")

bp = Blueprint("media")


@dataclass(frozen=True)
class Photo:
    """A re-encoded upload, ready to store."""

    data: bytes
    content_type: str
    width: int
    height: int


class NotAnImage(Exception):
    """The body is not a usable image; the message is the API's description."""


@bp.post("/api/v1/media")
async def upload(request: Request) -> HTTPResponse:
    """For trusted clients (the WhatsApp channel), with the Open311 api_key:
    a photo, or a citizen's voice note."""
    ctx = context(request)
    given = header(request, "X-API-Key")
    if not given or not hmac.compare_digest(given.encode(), ctx.settings.open311_api_key.encode()):
        raise Open311Error.one(403, "X-API-Key with the Open311 api_key is required")
    if audio.is_audio_type(request.headers.get("content-type")):
        return await store_voice_note(request)
    return await store(request)


async def store_voice_note(request: Request) -> HTTPResponse:
    """Checks the audio in the request body and keeps it unchanged; answers its URL."""
    ctx = context(request)
    content_type = audio.base_type(request.headers.get("content-type"))
    data = checked_voice_note(ctx.settings, content_type, request.body or b"")
    async with ctx.engine.begin() as conn:
        media_id = await _insert(conn, data, content_type)
    return created(ctx, media_id)


def checked_voice_note(settings: BackendSettings, content_type: str, data: bytes) -> bytes:
    """The body, if it is a voice note of the declared type within the size limit
    (the photos' limit: one setting for what a citizen sends); Open311Error if not."""
    if not audio.is_audio_type(content_type):
        raise Open311Error.one(
            400, f"only voice notes are accepted here ({', '.join(sorted(audio.AUDIO_TYPES))})"
        )
    if not data:
        raise Open311Error.one(400, "the request body (the voice note) is empty")
    limit = settings.max_photo_bytes
    if len(data) > limit:
        raise Open311Error.one(413, f"voice note is larger than {limit / MiB:g} MB")
    if not audio.matches(content_type, data):
        raise Open311Error.one(
            400, f"the body is not {content_type} audio (its first bytes do not match)"
        )
    return data


async def store(request: Request) -> HTTPResponse:
    """Checks and re-encodes the image in the request body, keeps it, answers its URL."""
    ctx = context(request)
    photo = await photo_from(request)
    async with ctx.engine.begin() as conn:
        media_id = await insert_photo(conn, photo)
    return created(ctx, media_id)


async def photo_from(request: Request) -> Photo:
    """The request body's image, decoded and re-encoded; Open311Error if it is none."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    return await decode_photo(context(request).settings, content_type, request.body or b"")


async def decode_photo(settings: BackendSettings, content_type: str, data: bytes) -> Photo:
    """An uploaded image (a body, a console form's file), decoded and re-encoded
    in a worker thread; Open311Error if it is none or too large."""
    if content_type not in ACCEPTED_TYPES:
        raise Open311Error.one(
            400, f"only images are accepted ({', '.join(sorted(ACCEPTED_TYPES))})"
        )
    if not data:
        raise Open311Error.one(400, "the request body (the image) is empty")
    limit = settings.max_photo_bytes
    if len(data) > limit:
        raise Open311Error.one(413, f"image is larger than {limit / MiB:g} MB")
    work = partial(reencode, data, settings.max_photo_pixels, settings.photo_max_side)
    try:
        return await asyncio.get_running_loop().run_in_executor(_DECODING, work)
    except NotAnImage as exc:
        raise Open311Error.one(400, str(exc)) from None


async def insert_photo(conn: AsyncConnection, photo: Photo) -> str:
    """Stores the photo in the caller's transaction; returns its id."""
    return await _insert(conn, photo.data, photo.content_type)


async def _insert(conn: AsyncConnection, data: bytes, content_type: str) -> str:
    media_id = secrets.token_hex(16)
    await conn.execute(
        insert(media).values(
            id=media_id,
            content_type=content_type,
            data=data,
            size=len(data),
            created_at=utcnow(),
        )
    )
    return media_id


async def require_stored(ctx: AppContext, urls: Sequence[str]) -> None:
    """Open311Error unless every URL is a photo stored here (`<public url>/media/<id>`):
    a link to anywhere else would have staff open a page an attacker chose."""
    foreign = [u for u in urls if not mediaurls.is_stored_media(u, [ctx.settings.public_url])]
    ids = [u.rsplit("/", 1)[1] for u in urls if u not in foreign]
    # Images only: a stored voice note is not a photo, and must not be shown as one.
    photos = select(media.c.id).where(media.c.id.in_(ids), media.c.content_type.like("image/%"))
    async with ctx.engine.connect() as conn:
        found = set((await conn.execute(photos)).scalars())
    missing = foreign + [u for u in urls if u not in foreign and u.rsplit("/", 1)[1] not in found]
    if missing:
        raise Open311Error(400, [f"media_url {u[:80]!r} is not a stored photo" for u in missing])


def created(ctx: AppContext, media_id: str) -> HTTPResponse:
    url = f"{ctx.settings.public_url}/media/{media_id}"
    return json({"id": media_id, "url": url}, status=201)


# ---- decoding and re-encoding (in a worker thread) ------------------------------


def reencode(data: bytes, max_pixels: int, max_side: int) -> Photo:
    """Decodes `data` as a JPEG, PNG, WebP or GIF image and makes a clean JPEG of it.

    Raises NotAnImage for anything that does not decode completely, or that
    would decode to more than `max_pixels`.
    """
    image = _decode(data, max_pixels, max_side)
    try:
        image = _upright(image)
        image = _flattened(image)
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        # Nothing of the upload's metadata may reach the new file: Pillow's JPEG
        # writer takes a comment from `info` even when not asked to.
        image.info = {}
        out = io.BytesIO()
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    except Exception as exc:  # an odd mode or a decoder quirk: still not usable
        raise NotAnImage(f"the image cannot be processed ({type(exc).__name__})") from exc
    return Photo(out.getvalue(), STORED_TYPE, image.width, image.height)


def _decode(data: bytes, max_pixels: int, max_side: int) -> Image.Image:
    unreadable = "the body is not a readable JPEG, PNG, WebP or GIF image"
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit: ours below is the one that holds.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=DECODERS)
            if image.format == "JPEG":
                # The JPEG decoder can scale by 1/2 to 1/8 while decoding: a
                # 50-megapixel phone photo costs a quarter of the memory and time.
                image.draft(None, (max_side, max_side))
            if image.width * image.height > max_pixels:
                raise NotAnImage(
                    f"image has {image.width}x{image.height} pixels, "
                    f"more than {max_pixels / 1e6:g} megapixels"
                )
            image.load()  # the whole image: a truncated or bogus body fails here
    except NotAnImage:
        raise
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, EOFError...
        raise NotAnImage(unreadable) from exc
    return image


def _upright(image: Image.Image) -> Image.Image:
    """Applies the EXIF orientation (the metadata that says so is dropped later)."""
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception:  # a damaged EXIF block: the pixels are still a photo
        return image


def _flattened(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency becomes white (JPEG has none)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit greyscale PNGs: Pillow would clip them to white, scale them to 8 bits.
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


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

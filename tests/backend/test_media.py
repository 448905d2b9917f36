"""Photos are decoded for real and kept as clean JPEGs: upright, without any of
the upload's metadata (a phone photo's EXIF carries the home's GPS position),
at most PHOTO_MAX_SIDE on their longest side; whatever does not decode as a
JPEG, PNG, WebP or GIF image is refused, however it starts."""

from __future__ import annotations

import io
import random
import wave
from typing import Any, Optional, Tuple

import pytest
from PIL import ExifTags, Image
from sanic import Sanic
from sqlalchemy import create_engine, func, select

from backend.media import NotAnImage, reencode
from backend.tables import media
from lapor.db import sync_url

MAX_PIXELS = 40_000_000
MAX_SIDE = 2560


def picture(
    fmt: str = "JPEG",
    size: Tuple[int, int] = (64, 48),
    mode: str = "RGB",
    color: Any = (200, 120, 40),
    **save: Any,
) -> bytes:
    """An image file made by Pillow (what a phone or a browser would send)."""
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def noise_jpeg(size: Tuple[int, int] = (1800, 1350), seed: int = 0) -> bytes:
    """A JPEG that compresses badly: 1800x1350 at quality 100 is about 4.6 MB."""
    pixels = random.Random(seed).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(out, "JPEG", quality=100)
    return out.getvalue()


def gps_exif(orientation: Optional[int] = None) -> Image.Exif:
    """EXIF as a phone writes it: the camera, and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (7.0, 49.0, 0.3)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (112.0, 0.0, 43.2)
    return exif


def phone_photo() -> bytes:
    """A JPEG with EXIF (GPS included), XMP and a comment."""
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>secret place</rdf:RDF></x:xmpmeta>'
    return picture(exif=gps_exif().tobytes(), xmp=xmp, comment=b"<script>alert(1)</script>")


def sideways_photo() -> bytes:
    """Stored 60x40, left half red and right half blue, with EXIF orientation 6:
    shown upright it is 40x60, red on top (the camera was turned clockwise)."""
    image = Image.new("RGB", (60, 40), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 30, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", exif=gps_exif(orientation=6).tobytes(), quality=95)
    return out.getvalue()


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x01" * 4000)
    return out.getvalue()


def stored_bytes(database_url: str) -> Tuple[int, int]:
    """How many photos the database holds, and their total size."""
    engine = create_engine(sync_url(database_url), future=True)
    with engine.connect() as conn:
        count, size = conn.execute(select(func.count(), func.sum(media.c.size))).one()
    engine.dispose()
    return int(count), int(size or 0)


def assert_clean_jpeg(data: bytes) -> Image.Image:
    """`data` is a JPEG with no metadata at all; returns it decoded."""
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "JPEG"
    assert not image.getexif()
    for marker in (b"Exif", b"GPS", b"PhoneMaker", b"xmpmeta", b"<script", b"secret place"):
        assert marker not in data, marker
    assert "comment" not in image.info and "xmp" not in image.info
    return image


# ---- decoding and re-encoding --------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        picture("JPEG"),
        picture("PNG"),
        picture("PNG", mode="RGBA", color=(10, 200, 10, 128)),
        picture("PNG", mode="I;16", color=40000),  # 16-bit greyscale
        picture("PNG", mode="1", color=1),
        picture("WEBP"),
        picture("WEBP", mode="RGBA", color=(10, 200, 10, 0), lossless=True),
        picture("GIF", mode="P", color=3),
        picture("GIF", mode="P", color=3, transparency=3),
        picture("JPEG", mode="CMYK", color=(0, 50, 100, 0)),
        picture("JPEG", mode="L", color=90),
    ],
    ids=[
        "jpeg",
        "png",
        "png-alpha",
        "png-16bit",
        "png-1bit",
        "webp",
        "webp-alpha",
        "gif",
        "gif-transparent",
        "jpeg-cmyk",
        "jpeg-grey",
    ],
)
def test_every_accepted_format_becomes_a_clean_jpeg_of_the_same_size(data: bytes) -> None:
    photo = reencode(data, MAX_PIXELS, MAX_SIDE)
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 64, 48)
    assert assert_clean_jpeg(photo.data).size == (64, 48)


def test_a_transparent_background_becomes_white_and_grey_keeps_its_shade() -> None:
    clear = reencode(picture("PNG", mode="RGBA", color=(0, 0, 0, 0)), MAX_PIXELS, MAX_SIDE)
    assert min(Image.open(io.BytesIO(clear.data)).getpixel((5, 5))) > 245
    deep = reencode(picture("PNG", mode="I;16", color=32768), MAX_PIXELS, MAX_SIDE)
    assert 120 < Image.open(io.BytesIO(deep.data)).convert("L").getpixel((5, 5)) < 136


def test_gps_exif_xmp_and_comments_are_all_dropped() -> None:
    original = phone_photo()
    assert b"Exif" in original and b"xmpmeta" in original  # what is at stake
    assert_clean_jpeg(reencode(original, MAX_PIXELS, MAX_SIDE).data)


def test_a_sideways_photo_is_stored_upright() -> None:
    photo = reencode(sideways_photo(), MAX_PIXELS, MAX_SIDE)
    image = assert_clean_jpeg(photo.data).convert("RGB")
    assert image.size == (40, 60)
    red, blue = image.getpixel((20, 8)), image.getpixel((20, 52))
    assert red[0] > 200 and red[2] < 60, red
    assert blue[2] > 200 and blue[0] < 60, blue


def test_large_photos_are_scaled_down_to_the_longest_side() -> None:
    photo = reencode(picture("PNG", size=(3000, 1000)), MAX_PIXELS, MAX_SIDE)
    assert (photo.width, photo.height) == (2560, 853)
    assert Image.open(io.BytesIO(photo.data)).size == (2560, 853)


def test_a_48_megapixel_phone_photo_is_decoded_at_a_fraction_and_kept() -> None:
    # Decoded at half scale (JPEG draft): 12 megapixels, well under the cap.
    photo = reencode(picture("JPEG", size=(8000, 6000), mode="L", color=90), MAX_PIXELS, MAX_SIDE)
    assert (photo.width, photo.height) == (2560, 1920)


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    # 81 megapixels in a few kilobytes: decoded, it would take 243 MB as RGB.
    bomb = picture("PNG", size=(9000, 9000), mode="1", color=0)
    assert len(bomb) < 100_000
    with pytest.raises(NotAnImage, match="more than 40 megapixels"):
        reencode(bomb, MAX_PIXELS, MAX_SIDE)


GIF_THEN_HTML = b"GIF89a" + b"<html><script>alert(document.cookie)</script></html>" * 20


@pytest.mark.parametrize(
    "data",
    [
        GIF_THEN_HTML,
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00<script>alert(1)</script>",
        wav(),
        b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64,
        picture("JPEG", size=(200, 200))[:300],  # truncated
        picture("PNG", size=(200, 200), color=(1, 2, 3))[:-40],  # truncated
        b"\xff\xd8\xff\xe0" + b"\x00" * 64,  # only a JPEG signature
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        picture("BMP"),  # an image, but not an accepted format
        picture("TIFF"),
        b"",
    ],
    ids=[
        "gif-html-polyglot",
        "gif-header-script",
        "wav",
        "riff-webp-header-only",
        "truncated-jpeg",
        "truncated-png",
        "jpeg-signature",
        "png-signature",
        "bmp",
        "tiff",
        "empty",
    ],
)
def test_what_only_looks_like_an_image_is_refused(data: bytes) -> None:
    with pytest.raises(NotAnImage, match="not a readable JPEG, PNG, WebP or GIF image"):
        reencode(data, MAX_PIXELS, MAX_SIDE)


# ---- the trusted upload endpoint (both databases) ------------------------------


async def _upload(app: Sanic, data: bytes, content_type: str, key: str = "test-api-key"):
    _, response = await app.asgi_client.post(
        "/api/v1/media", content=data, headers={"Content-Type": content_type, "X-API-Key": key}
    )
    return response


async def test_a_phone_photo_is_stored_and_served_without_its_gps_position(app: Sanic) -> None:
    response = await _upload(app, phone_photo(), "image/jpeg")
    assert response.status == 201
    url = response.json["url"]
    assert url.startswith("http://localhost:8000/media/") and len(response.json["id"]) == 32
    _, served = await app.asgi_client.get(f"/media/{response.json['id']}")
    assert served.status == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert assert_clean_jpeg(served.body).size == (64, 48)


async def test_the_decoded_format_decides_not_the_declared_type(app: Sanic) -> None:
    # Browsers take the type from the file name: a PNG saved as .jpg is still a photo.
    response = await _upload(app, picture("PNG"), "image/jpeg")
    assert response.status == 201
    _, served = await app.asgi_client.get(f"/media/{response.json['id']}")
    assert served.headers["content-type"] == "image/jpeg"
    assert_clean_jpeg(served.body)


@pytest.mark.parametrize(
    ("data", "content_type", "key", "status", "problem"),
    [
        (picture("PNG"), "image/png", "wrong", 403, "X-API-Key"),
        (b"%PDF-1.4", "application/pdf", "test-api-key", 400, "only images"),
        (picture("PNG"), "text/html", "test-api-key", 400, "only images"),
        (b"", "image/png", "test-api-key", 400, "empty"),
        (GIF_THEN_HTML, "image/gif", "test-api-key", 400, "not a readable"),
        (wav(), "image/webp", "test-api-key", 400, "not a readable"),
        (picture("JPEG", size=(200, 200))[:300], "image/jpeg", "test-api-key", 400, "readable"),
        (b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "image/jpeg", "test-api-key", 413, "larger"),
    ],
    ids=["key", "pdf", "html-type", "empty", "gif-html", "wav-as-webp", "truncated", "too-big"],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    app: Sanic,
    database_url: str,
    data: bytes,
    content_type: str,
    key: str,
    status: int,
    problem: str,
) -> None:
    response = await _upload(app, data, content_type, key)
    assert response.status == status
    assert response.json[0]["code"] == status
    assert problem in response.json[0]["description"]
    assert stored_bytes(database_url) == (0, 0)


async def test_unknown_media_is_404(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/media/0123456789abcdef0123456789abcdef")
    assert response.status == 404

"""Property tests of the widget's photo upload: whatever bytes arrive under
whatever declared type, the backend answers 201, 400, 413 or 429, never an
error of its own, and what it stores always decodes as a JPEG without EXIF."""

from __future__ import annotations

import io
from typing import Any, Tuple

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image
from sanic import Sanic

from backend.media import NotAnImage, reencode
from tests.backend.test_media import assert_clean_jpeg, gps_exif
from tests.backend.test_widget import SITE, widget_app

MAX_BYTES = 24 * 1024
# Modes each writer takes, and the color a new image of that mode accepts.
MODES = {
    "JPEG": [("RGB", (10, 200, 30)), ("L", 90), ("CMYK", (0, 50, 100, 0))],
    "PNG": [("RGB", (10, 200, 30)), ("RGBA", (1, 2, 3, 4)), ("I;16", 40000), ("1", 1), ("P", 7)],
    "WEBP": [("RGB", (10, 200, 30)), ("RGBA", (1, 2, 3, 0))],
    "GIF": [("P", 3), ("L", 200)],
    "BMP": [("RGB", (10, 200, 30))],
    "TIFF": [("RGB", (10, 200, 30))],
}


@st.composite
def images(draw: st.DrawFn) -> bytes:
    """Real image files, some with a phone's EXIF, some then damaged."""
    fmt = draw(st.sampled_from(sorted(MODES)))
    mode, color = draw(st.sampled_from(MODES[fmt]))
    size = (draw(st.integers(1, 80)), draw(st.integers(1, 80)))
    image = Image.new(mode, size, color)
    if draw(st.booleans()):  # some texture, so the encoders have work to do
        image.putpixel((size[0] // 2, size[1] // 2), color if mode != "CMYK" else (0, 0, 0, 0))
    extra: dict[str, Any] = {}
    if fmt in ("JPEG", "WEBP", "PNG") and draw(st.booleans()):
        extra["exif"] = gps_exif(orientation=draw(st.integers(1, 8))).tobytes()
    out = io.BytesIO()
    image.save(out, fmt, **extra)
    data = out.getvalue()
    damage = draw(st.sampled_from(["none"] * 4 + ["truncate", "flip", "prefix", "suffix"]))
    if damage == "truncate":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    elif damage == "flip":
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    elif damage == "prefix":
        data = draw(st.binary(max_size=32)) + data
    elif damage == "suffix":
        data = data + draw(st.binary(min_size=1, max_size=512))
    return data


# Signatures followed by anything: what a polyglot starts with.
SIGNATURES = [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"GIF87a", b"RIFF", b"WEBP"]
bodies = st.one_of(
    images(),
    st.one_of(
        st.binary(max_size=2048),
        st.builds(lambda head, rest: head + rest, st.sampled_from(SIGNATURES), st.binary()),
        st.binary(min_size=MAX_BYTES - 8, max_size=MAX_BYTES + 64),
    ),
)
ACCEPTED = st.sampled_from(["image/jpeg", "image/png", "image/webp", "image/gif"])
# Half of the uploads declare an accepted type: the decoder is what is under test.
content_types = st.one_of(
    ACCEPTED,
    st.one_of(
        st.sampled_from(
            [
                "IMAGE/PNG; charset=binary",
                "image/svg+xml",
                "text/html",
                "application/octet-stream",
                "",
            ]
        ),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    ),
)


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(bodies, images()))
def test_reencoding_any_bytes_gives_a_clean_jpeg_or_says_why_not(data: bytes) -> None:
    try:
        photo = reencode(data, 40_000_000, 2560)
    except NotAnImage as exc:
        assert str(exc)
        return
    assert assert_clean_jpeg(photo.data).size == (photo.width, photo.height)


@pytest.fixture
async def web_session(sqlite_url: str) -> Tuple[Sanic, str, str]:
    """One app and one issued session serve every example."""
    # No limits (0) and a small size cap: the examples probe decoding and 413s.
    app = widget_app(
        sqlite_url,
        max_photo_bytes=MAX_BYTES,
        widget_uploads_per_hour=0,
        widget_upload_bytes_per_day=0,
        widget_address_uploads_per_hour=0,
        widget_address_upload_bytes_per_day=0,
    )
    _, issued = await app.asgi_client.post("/api/v1/widget/sessions")
    return app, issued.json["session"], issued.json["token"]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, content_type=content_types)
async def test_any_upload_is_stored_clean_or_refused_in_the_open311_shape(
    web_session: Tuple[Sanic, str, str], body: bytes, content_type: str
) -> None:
    app, session, token = web_session
    headers = {
        "Origin": SITE,
        "Content-Type": content_type,
        "X-Widget-Session": session,
        "X-Widget-Token": token,
    }
    _, response = await app.asgi_client.post("/api/v1/widget/media", content=body, headers=headers)

    assert response.status in (201, 400, 413, 429), response.text
    event(f"HTTP {response.status}")
    assert response.headers["access-control-allow-origin"] == SITE
    if response.status != 201:
        (error,) = response.json
        assert error["code"] == response.status and error["description"]
        return
    _, served = await app.asgi_client.get(f"/media/{response.json['id']}")
    assert served.status == 200 and served.headers["content-type"] == "image/jpeg"
    assert_clean_jpeg(served.body)

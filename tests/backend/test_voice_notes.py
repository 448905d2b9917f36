"""Citizens' voice notes: stored as sent (never re-encoded) with their type,
only when their first bytes are the declared container's, and served back
with that type; a voice note is never taken as a report's photo."""

from __future__ import annotations

import pytest
from sanic import Sanic

from backend.media import checked_voice_note
from backend.settings import BackendSettings
from lapor import audio
from tests.backend.helpers import post_request, valid_form
from tests.backend.test_media import _upload, stored_bytes

# The first bytes each format's files really have, then some payload.
OGG_OPUS = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x01" * 64
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 64
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 64
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 64
AAC_ADTS = b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 64
AMR = b"#!AMR\n" + b"\x3c" * 64


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (OGG_OPUS, "audio/ogg; codecs=opus"),
        (MP3_ID3, "audio/mpeg"),
        (MP3_FRAME, "audio/mpeg"),
        (M4A, "audio/mp4"),
        (AAC_ADTS, "audio/aac"),
        (M4A, "audio/aac"),
        (AMR, "audio/amr"),
    ],
    ids=["whatsapp-ogg-opus", "mp3-id3", "mp3-frame", "m4a", "aac-adts", "aac-in-mp4", "amr"],
)
async def test_each_voice_note_type_is_stored_unchanged_and_served_with_its_type(
    app: Sanic, data: bytes, content_type: str
) -> None:
    response = await _upload(app, data, content_type)
    assert response.status == 201
    assert response.json["url"].endswith(f"/media/{response.json['id']}")
    _, served = await app.asgi_client.get(f"/media/{response.json['id']}")
    assert served.status == 200
    assert served.body == data  # not re-encoded
    assert served.headers["content-type"] == audio.base_type(content_type)
    assert served.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "content_type", "status", "problem"),
    [
        (b"ini bukan suara, cuma teks\n" * 4, "audio/ogg", 400, "not audio/ogg audio"),
        (OGG_OPUS, "audio/mpeg", 400, "not audio/mpeg audio"),
        (b"<html><body>hi</body></html>", "audio/amr", 400, "not audio/amr audio"),
        (b"", "audio/ogg", 400, "empty"),
        (b"OggS" + b"\x00" * (5 * 1024 * 1024), "audio/ogg", 413, "voice note is larger than 5 MB"),
        (OGG_OPUS, "audio/wav", 400, "only images"),
    ],
    ids=["text-named-ogg", "ogg-declared-mp3", "html-as-amr", "empty", "too-big", "wav-type"],
)
async def test_fake_empty_oversize_or_unknown_audio_is_refused_and_nothing_is_stored(
    app: Sanic, database_url: str, data: bytes, content_type: str, status: int, problem: str
) -> None:
    response = await _upload(app, data, content_type)
    assert response.status == status
    assert problem in response.json[0]["description"]
    assert stored_bytes(database_url) == (0, 0)


async def test_a_voice_note_needs_the_api_key(app: Sanic, database_url: str) -> None:
    response = await _upload(app, OGG_OPUS, "audio/ogg", key="wrong")
    assert response.status == 403
    assert stored_bytes(database_url) == (0, 0)


async def test_a_stored_voice_note_is_not_accepted_as_a_ticket_photo(app: Sanic) -> None:
    stored = await _upload(app, OGG_OPUS, "audio/ogg")
    status, body = await post_request(app, valid_form(media_url=stored.json["url"]))
    assert status == 400
    assert "is not a stored photo" in body[0]["description"]


def test_the_size_limit_is_the_media_setting(settings: BackendSettings) -> None:
    small = settings.copy(update={"max_photo_bytes": 100})
    assert checked_voice_note(small, "audio/amr", AMR[:100]) == AMR[:100]
    with pytest.raises(Exception, match="larger than"):
        checked_voice_note(small, "audio/amr", AMR + b"\x00" * 100)

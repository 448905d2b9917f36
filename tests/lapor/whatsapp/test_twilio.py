"""Downloading inbound photos from (the fake) Twilio: whole, bounded, credentials kept home."""

from __future__ import annotations

import io
import json
import logging
from functools import cache

import numpy as np
import pytest
from PIL import Image
from twilio.http.response import Response

from lapor.privacy import carries_numbers
from lapor.whatsapp.twilio import MediaRejected, TwilioClient, TwilioError, TwilioHttp
from tests.fake_twilio import VOICE_FROM, FakeTwilio, MediaMode
from tests.servers import free_port

MiB = 1024 * 1024
# Side of a square noise image whose JPEG (quality 95) is about 1 MB / 4 MB:
# noise hardly compresses, about 1.18 bytes a pixel.
SIDES = {"1mb": 920, "4mb": 1840}
MODES = ["chunked", "length", "slow", "fast"]


@cache
def photo(size: str) -> bytes:
    """A real JPEG, the same bytes on every run."""
    side = SIDES[size]
    pixels = np.random.default_rng(112).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def client(fake: FakeTwilio, max_media_bytes: int = 5 * MiB) -> TwilioClient:
    return TwilioClient(fake.config(max_media_bytes=max_media_bytes))


def test_the_test_photos_are_about_1mb_and_4mb() -> None:
    assert 0.9e6 < len(photo("1mb")) < 1.1e6
    assert 3.8e6 < len(photo("4mb")) < 4.2e6 < 5 * MiB


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", list(SIDES))
async def test_a_photo_arrives_whole_however_twilio_sends_it(
    fake: FakeTwilio, size: str, mode: MediaMode
) -> None:
    fake.media["photo"] = (photo(size), "image/jpeg")
    fake.media_modes["photo"] = mode
    data, content_type = await client(fake).fetch_media(fake.media_url("photo"))
    assert content_type == "image/jpeg"
    assert len(data) == len(photo(size))
    assert data == photo(size)
    original, received = decoded(photo(size)), decoded(data)
    assert received.size == original.size == (SIDES[size], SIDES[size])
    assert received.tobytes() == original.tobytes()


async def test_a_chunked_photo_over_the_limit_is_refused_while_streaming(
    fake: FakeTwilio,
) -> None:
    fake.media["big"] = (photo("1mb"), "image/jpeg")
    fake.media_modes["big"] = "chunked"
    with pytest.raises(MediaRejected, match="over the size limit"):
        await client(fake, max_media_bytes=256 * 1024).fetch_media(fake.media_url("big"))


async def test_a_declared_oversize_photo_is_refused(fake: FakeTwilio) -> None:
    fake.media["big"] = (photo("1mb"), "image/jpeg")
    fake.media_modes["big"] = "length"
    with pytest.raises(MediaRejected, match=f"{len(photo('1mb'))} bytes is over the limit"):
        await client(fake, max_media_bytes=256 * 1024).fetch_media(fake.media_url("big"))


async def test_an_unreachable_media_host_is_a_failed_download(fake: FakeTwilio) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    twilio = TwilioClient(fake.config(api_base=closed))
    with pytest.raises(TwilioError) as error:
        await twilio.fetch_media(f"{closed}/media/photo")
    assert error.value.status == 0


@pytest.mark.parametrize("status", [302, 307])
async def test_a_redirected_photo_arrives_whole_and_the_cdn_gets_no_credentials(
    fake: FakeTwilio, status: int
) -> None:
    fake.media["photo"] = (photo("4mb"), "image/jpeg")
    fake.media_modes["photo"] = "chunked"
    fake.redirects["photo"] = status
    data, _ = await client(fake).fetch_media(fake.media_url("photo"))
    api, cdn = fake.calls
    assert (api.path, api.authorization) == ("/media/photo", fake.expected_auth())
    assert (cdn.path, cdn.authorization) == ("/cdn/photo", None)
    assert data == photo("4mb")


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:{port}",  # another host name for the same server
        "https://127.0.0.1:{port}",  # another scheme
        "http://127.0.0.1:{other}",  # another port
        "http://127.0.0.1:{port}@localhost:{port}",  # the host is after the "@"
        "http://sid:token@127.0.0.1:{port}",  # credentials of its own
        "http://127.0.0.1:port",  # unreadable
    ],
)
async def test_a_media_url_off_the_api_host_is_refused_without_a_request(
    fake: FakeTwilio, origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = origin.format(port=fake.port, other=free_port()) + "/media/photo"
    with caplog.at_level(logging.WARNING), pytest.raises(MediaRejected, match="media URL refused"):
        await client(fake).fetch_media(url)
    assert fake.calls == []
    assert any("media URL refused" in record.getMessage() for record in caplog.records)


REFUSED_NUMBER = "whatsapp:+6281234567890"


async def test_a_refused_number_is_masked_in_the_error_and_its_log_line(
    fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Twilio's answer to an invalid number quotes it (error 21211).
    refusal = {
        "code": 21211,
        "message": f"The 'To' number {REFUSED_NUMBER} is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211",
        "status": 400,
    }

    async def answer(*_: object, **__: object) -> Response:
        return Response(400, json.dumps(refusal), {})

    monkeypatch.setattr(TwilioHttp, "request", answer)
    with caplog.at_level(logging.ERROR), pytest.raises(TwilioError) as error:
        await client(fake).send(REFUSED_NUMBER, body="Laporan Bapak/Ibu sudah diterima.")
    assert error.value.code == 21211
    assert "Twilio error 21211" in str(error.value)
    assert "The 'To' number whatsapp:+6281" in str(error.value)
    assert "1234567890" not in str(error.value)
    assert "WhatsApp send to whatsapp:+6281" in caplog.text
    assert "1234567890" not in caplog.text
    assert not carries_numbers(caplog.text)


async def test_a_voice_call_comes_from_the_voice_number_with_its_instructions(
    fake: FakeTwilio,
) -> None:
    client = TwilioClient(fake.config())
    sid = await client.call("+6281234567890", "<Response><Say>Halo</Say></Response>")
    (call,) = fake.voice_calls()
    assert sid.startswith("CA")
    assert (call["To"], call["From"]) == ("+6281234567890", VOICE_FROM)
    assert call["Twiml"] == "<Response><Say>Halo</Say></Response>"


async def test_without_a_voice_number_no_call_is_attempted(fake: FakeTwilio) -> None:
    client = TwilioClient(fake.config(voice_from=""))
    with pytest.raises(TwilioError, match="TWILIO_VOICE_FROM"):
        await client.call("+6281234567890", "<Response/>")
    assert fake.voice_calls() == []

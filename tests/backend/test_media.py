from __future__ import annotations

import pytest
from sanic import Sanic

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


async def _upload(app: Sanic, data: bytes, content_type: str, key: str = "test-api-key"):
    _, response = await app.asgi_client.post(
        "/api/v1/media", content=data, headers={"Content-Type": content_type, "X-API-Key": key}
    )
    return response


async def test_photo_is_stored_and_served(app: Sanic) -> None:
    response = await _upload(app, JPEG, "image/jpeg")
    assert response.status == 201
    url = response.json["url"]
    assert url.startswith("http://localhost:8000/media/") and len(response.json["id"]) == 32
    _, served = await app.asgi_client.get(f"/media/{response.json['id']}")
    assert served.status == 200
    assert served.body == JPEG
    assert served.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "content_type", "key", "status", "problem"),
    [
        (PNG, "image/png", "wrong", 403, "X-API-Key"),
        (b"%PDF-1.4", "application/pdf", "test-api-key", 400, "only images"),
        (b"", "image/png", "test-api-key", 400, "empty"),
        (JPEG, "image/png", "test-api-key", 400, "not a image/png image"),
        (b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "image/jpeg", "test-api-key", 400, "larger"),
    ],
)
async def test_bad_uploads_are_refused(
    app: Sanic, data, content_type, key, status, problem
) -> None:
    response = await _upload(app, data, content_type, key)
    assert response.status == status
    assert problem in response.json[0]["description"]


async def test_unknown_media_is_404(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/media/0123456789abcdef0123456789abcdef")
    assert response.status == 404

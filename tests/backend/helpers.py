"""Small helpers for driving the backend app in tests."""

from __future__ import annotations

import io
from typing import Any, Dict, Tuple
from urllib.parse import urlencode

from sanic import Sanic
from sqlalchemy import create_engine, func, select

from backend.tables import ticket_events, tickets
from lapor.db import sync_url

API_KEY = "test-api-key"
FORM = {"content-type": "application/x-www-form-urlencoded"}
# Inside kelurahan Setonogedong (its centroid lies inside its convex polygon).
SETONOGEDONG = (-7.816731, 112.012012)
# Kabupaten Kediri, outside the city.
OUTSIDE = (-7.70, 112.10)


def valid_form(**overrides: Any) -> Dict[str, Any]:
    form: Dict[str, Any] = {
        "api_key": API_KEY,
        "service_code": "street_light",
        "description": "Lampu jalan mati sejak 3 hari",
        "address_string": "Jl. Dhoho depan toko emas",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


async def post_request(
    app: Sanic, form: Dict[str, Any], idempotency_key: str | None = None
) -> Tuple[int, Any]:
    headers = dict(FORM)
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    _, response = await app.asgi_client.post(
        "/open311/v2/requests.json", content=urlencode(form, doseq=True), headers=headers
    )
    return response.status, response.json


def count_rows(database_url: str) -> Tuple[int, int]:
    """(tickets, ticket_events) straight from the database."""
    engine = create_engine(sync_url(database_url), future=True)
    with engine.connect() as conn:
        counts = (
            conn.execute(select(func.count()).select_from(tickets)).scalar_one(),
            conn.execute(select(func.count()).select_from(ticket_events)).scalar_one(),
        )
    engine.dispose()
    return counts


def png_bytes(size: Tuple[int, int] = (8, 8)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


async def stored_photo(app: Sanic) -> str:
    """A photo stored the way the chat channels store one; its public URL."""
    _, response = await app.asgi_client.post(
        "/api/v1/media",
        content=png_bytes(),
        headers={"Content-Type": "image/png", "X-API-Key": API_KEY},
    )
    assert response.status == 201, response.json
    return str(response.json["url"])

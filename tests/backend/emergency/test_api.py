"""The action server's way in (backend/emergency/api.py)."""

from __future__ import annotations

import uuid
from typing import Any, Dict

import pytest
from sanic import Sanic

from lapor.timeutil import utcnow
from tests.backend.helpers import API_KEY

AUTH = {"authorization": f"Bearer {API_KEY}"}


def body(**overrides: Any) -> Dict[str, Any]:
    value: Dict[str, Any] = {
        "key": uuid.uuid4().hex,
        "kind": "emergency_accident",
        "channel": "web",
        "conversation_id": uuid.uuid4().hex,
        "text": "ada kecelakaan motor di perempatan",
        "location": {"text": "perempatan Jl. Dhoho", "kelurahan": "Kemasan"},
        "transcript": [{"who": "user", "text": "halo", "at": utcnow().isoformat()}],
        "received_at": utcnow().isoformat(),
    }
    value.update(overrides)
    return value


async def test_an_emergency_is_filed_once_whatever_the_retries(app: Sanic) -> None:
    sent = body()
    _, first = await app.asgi_client.post("/emergency/v1/incidents", json=sent, headers=AUTH)
    _, again = await app.asgi_client.post("/emergency/v1/incidents", json=sent, headers=AUTH)
    assert first.status == 201 and again.status == 200
    assert first.json["id"] == again.json["id"]
    assert first.json == {**first.json, "state": "open", "operators_on_duty": 0, "created": True}
    _, read = await app.asgi_client.get(f"/emergency/v1/incidents/{sent['key']}", headers=AUTH)
    assert read.json["location"]["text"] == "perempatan Jl. Dhoho"
    assert [u["kind"] for u in read.json["updates"]] == ["received", "location", "alerted"]


async def test_updates_add_to_the_incident_and_wait_for_one_not_there_yet(app: Sanic) -> None:
    sent = body(location=None)
    update = {"kind": "location", "text": "depan SDN 1", "location": {"text": "depan SDN 1"}}
    url = f"/emergency/v1/incidents/{sent['key']}/updates"
    _, early = await app.asgi_client.post(url, json=update, headers=AUTH)
    assert early.status == 404
    await app.asgi_client.post("/emergency/v1/incidents", json=sent, headers=AUTH)
    _, later = await app.asgi_client.post(url, json=update, headers=AUTH)
    _, safe = await app.asgi_client.post(
        url, json={"kind": "safe", "text": "sudah aman"}, headers=AUTH
    )
    assert (later.status, safe.status) == (200, 200) and safe.json["state"] == "open"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"authorization": "Bearer wrong"}, 403),
        ({"authorization": "Bearer \xe9".encode("latin-1")}, 400),
    ],
)
async def test_a_caller_without_the_key_is_refused(
    app: Sanic, headers: Dict[str, Any], status: int
) -> None:
    _, response = await app.asgi_client.post(
        "/emergency/v1/incidents", json=body(), headers=headers
    )
    assert response.status == status
    assert response.json[0]["code"] == status


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"kind": "fire"}, "kind"),
        ({"key": "short"}, "key"),
        ({"received_at": "2026-11-29T10:00:00"}, "received_at"),
        ({"received_at": "kemarin"}, "received_at"),
        ({"location": {"latitude": 91}}, "location.latitude"),
        ({"text": "api\x00besar"}, "body.text"),
        ({"transcript": [{"who": "hacker", "text": "x"}]}, "transcript.0.who"),
        ({"conversation_id": ""}, "conversation_id"),
    ],
)
async def test_bad_input_gets_a_clear_400_and_files_nothing(
    app: Sanic, change: Dict[str, Any], names: str
) -> None:
    sent = body(**change)
    _, response = await app.asgi_client.post("/emergency/v1/incidents", json=sent, headers=AUTH)
    assert response.status == 400
    assert any(names in problem["description"] for problem in response.json)
    _, read = await app.asgi_client.get(f"/emergency/v1/incidents/{sent['key']}", headers=AUTH)
    assert read.status == 404  # nothing was filed under that key


async def test_a_body_that_is_not_a_json_object_is_refused(app: Sanic) -> None:
    for content in ("not json", "[1, 2]"):
        _, response = await app.asgi_client.post(
            "/emergency/v1/incidents",
            content=content,
            headers={**AUTH, "content-type": "application/json"},
        )
        assert response.status == 400

"""Only the Rasa server, with ACTION_SERVER_TOKEN, may run actions."""

from __future__ import annotations

from sanic import Sanic
from sanic.response import json

from actions import auth
from lapor import bearer


def _app() -> Sanic:
    app = Sanic("actions-auth-test")

    @app.post("/webhook")
    async def webhook(_request: object) -> object:
        return json({"events": []})

    @app.get("/health")
    async def health(_request: object) -> object:
        return json({"status": "ok"})

    auth.require_token(app, "s3cret-token")
    return app


async def test_a_call_without_the_token_is_refused() -> None:
    app = _app()
    _, response = await app.asgi_client.post("/webhook", json={"tracker": {}})
    assert response.status == 401
    _, response = await app.asgi_client.post(
        "/webhook", json={}, headers={"Authorization": "Bearer wrong"}
    )
    assert response.status == 401


async def test_rasa_with_the_token_is_served_and_health_stays_open() -> None:
    app = _app()
    headers = {"Authorization": "Bearer s3cret-token"}
    _, response = await app.asgi_client.post("/webhook", json={}, headers=headers)
    assert response.status == 200
    _, response = await app.asgi_client.get("/health")
    assert response.status == 200


def test_bearer_matching_is_exact() -> None:
    assert bearer.matches("Bearer abc", "abc")
    assert bearer.matches("bearer abc ", "abc")
    assert not bearer.matches("Bearer abcd", "abc")
    assert not bearer.matches("Basic abc", "abc")
    assert not bearer.matches(None, "abc")
    assert not bearer.matches("Bearer \udcff\u00ff", "abc")

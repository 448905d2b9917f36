from __future__ import annotations

import uuid
from typing import Any, AsyncIterator, Dict, Optional, Tuple

import pytest
import redis.asyncio as redis
from sanic import Sanic

from backend.settings import BackendSettings
from lapor.outbound import Message, Recipient
from lapor.webchat import WebChatChannel, session_key, stream_key, valid_token
from tests.servers import free_port


async def test_pages_carry_the_rasa_url(app: Sanic) -> None:
    _, demo = await app.asgi_client.get("/")
    assert 'data-server="http://localhost:5005"' in demo.text
    _, chat = await app.asgi_client.get("/chat")
    assert 'const RASA_URL = "http://localhost:5005";' in chat.text
    _, script = await app.asgi_client.get("/widget.js")
    assert script.status == 200 and "LaporWidget" in script.text


# ---- sessions and the city's messages ------------------------------------------

REDIS = "redis://127.0.0.1:6379/0"
SITE = "https://www.kedirikota.go.id"


def widget_app(sqlite_url: str, **settings: Any) -> Sanic:
    from backend.app import create_app

    values = {"redis_url": REDIS, "widget_allowed_origins": SITE, **settings}
    return create_app(
        BackendSettings.load(database_url=sqlite_url, open311_api_key="test-api-key", **values),
        name=f"widget-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def web(sqlite_url: str) -> Sanic:
    return widget_app(sqlite_url)


@pytest.fixture
async def session(web: Sanic) -> AsyncIterator[Tuple[str, str]]:
    """A session the backend issued, and its token; its stream is removed afterwards."""
    _, response = await web.asgi_client.post("/api/v1/widget/sessions")
    yield response.json["session"], response.json["token"]
    client = redis.from_url(REDIS)
    await client.delete(stream_key(response.json["session"]))
    await client.close()


async def fetch(
    app: Sanic, session: Optional[str], token: Optional[str], after: Optional[str] = None
) -> Any:
    params = {k: v for k, v in {"session": session, "after": after}.items() if v is not None}
    headers = {"Origin": SITE, **({"X-Widget-Token": token} if token else {})}
    _, response = await app.asgi_client.get(
        "/api/v1/widget/messages", params=params, headers=headers
    )
    return response


async def test_a_new_session_comes_with_the_token_that_proves_it(web: Sanic) -> None:
    _, first = await web.asgi_client.post("/api/v1/widget/sessions", headers={"Origin": SITE})
    _, second = await web.asgi_client.post("/api/v1/widget/sessions")
    assert first.status == 201
    assert first.headers["access-control-allow-origin"] == SITE
    session, token = first.json["session"], first.json["token"]
    assert len(session) == 32 and session != second.json["session"]
    key = session_key(BackendSettings.load().contact_key.encode())
    assert valid_token(key, session, token)


async def test_the_city_messages_are_read_after_the_last_one_shown(
    web: Sanic, session: Tuple[str, str]
) -> None:
    conversation, token = session
    channel = WebChatChannel(REDIS)
    to = Recipient.conversation("web", conversation)
    first = await channel.deliver(to, Message(text="📢 Status: Diproses"))
    second = await channel.deliver(to, Message(text="📢 Status: Selesai"))
    await channel.close()

    everything = await fetch(web, conversation, token)
    assert everything.status == 200
    assert everything.headers["access-control-allow-origin"] == SITE
    assert everything.headers["cache-control"] == "no-store"
    assert [m["text"] for m in everything.json] == ["📢 Status: Diproses", "📢 Status: Selesai"]
    unseen = await fetch(web, conversation, token, after=first.reference)
    assert [m["stream_id"] for m in unseen.json] == [second.reference]
    assert (await fetch(web, conversation, token, after=second.reference)).json == []


async def test_messages_are_refused_without_the_sessions_own_token(
    web: Sanic, session: Tuple[str, str]
) -> None:
    conversation, token = session
    _, other = await web.asgi_client.post("/api/v1/widget/sessions")
    for wrong in (None, "", other.json["token"], token.upper(), "x" * 64):
        response = await fetch(web, conversation, wrong)
        assert response.status == 403, wrong
        # The widget can read the refusal (CORS), and it says what is missing.
        assert response.headers["access-control-allow-origin"] == SITE
        assert "X-Widget-Token" in response.json[0]["description"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({}, "session is required"),
        ({"session": "s" * 129}, "session is required"),
        ({"session": "abc", "after": "$"}, "after must be a stream id"),
        ({"session": "abc", "after": "12-x"}, "after must be a stream id"),
    ],
)
async def test_bad_parameters_are_refused(web: Sanic, params: Dict[str, str], problem: str) -> None:
    _, response = await web.asgi_client.get("/api/v1/widget/messages", params=params)
    assert response.status == 400
    assert response.json[0]["description"].startswith(problem)


async def test_the_widget_may_send_its_token_from_the_citys_site_only(web: Sanic) -> None:
    preflight = {
        "Origin": SITE,
        "Access-Control-Request-Method": "GET",  # what a browser's preflight always says
        "Access-Control-Request-Headers": "x-widget-token",
    }
    _, allowed = await web.asgi_client.options("/api/v1/widget/messages", headers=preflight)
    assert allowed.status in (200, 204)  # sanic_cors answers preflights with 200
    assert allowed.headers["access-control-allow-origin"] == SITE
    assert "x-widget-token" in allowed.headers["access-control-allow-headers"].lower()
    _, elsewhere = await web.asgi_client.options(
        "/api/v1/widget/sessions", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in elsewhere.headers


async def test_without_redis_there_is_nothing_stored_to_read(sqlite_url: str) -> None:
    app = widget_app(sqlite_url, redis_url=None)
    _, issued = await app.asgi_client.post("/api/v1/widget/sessions")
    response = await fetch(app, issued.json["session"], issued.json["token"])
    assert (response.status, response.json) == (200, [])


async def test_an_unreachable_redis_is_a_503_the_widget_can_read(sqlite_url: str) -> None:
    app = widget_app(sqlite_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    _, issued = await app.asgi_client.post("/api/v1/widget/sessions")
    response = await fetch(app, issued.json["session"], issued.json["token"])
    assert response.status == 503
    assert response.headers["access-control-allow-origin"] == SITE

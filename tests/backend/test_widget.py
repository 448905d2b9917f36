from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple

import pytest
import redis.asyncio as redis
from sanic import Sanic
from sqlalchemy import create_engine, text

from backend.settings import BackendSettings
from lapor.db import sync_url
from lapor.outbound import Message, Recipient
from lapor.webchat import WebChatChannel, session_key, stream_key, valid_token
from tests.backend.test_media import assert_clean_jpeg, noise_jpeg, phone_photo, stored_bytes
from tests.servers import free_port


async def test_the_demo_page_carries_the_rasa_url(app: Sanic) -> None:
    _, demo = await app.asgi_client.get("/")
    assert 'data-server="http://localhost:5005"' in demo.text
    # No page talks to the token-protected REST channel from a browser.
    _, chat = await app.asgi_client.get("/chat")
    assert chat.status == 404
    _, script = await app.asgi_client.get("/widget.js")
    assert script.status == 200 and "LaporWidget" in script.text


# ---- sessions and the city's messages ------------------------------------------

REDIS = "redis://127.0.0.1:6379/0"
SITE = "https://www.kedirikota.go.id"


def widget_app(database_url: str, **settings: Any) -> Sanic:
    """The backend for the widget, its rate counters reset (they outlive a test)."""
    from backend.app import create_app

    engine = create_engine(sync_url(database_url), future=True)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rate_counters"))
    engine.dispose()
    values = {"redis_url": REDIS, "widget_allowed_origins": SITE, **settings}
    return create_app(
        BackendSettings.load(database_url=database_url, open311_api_key="test-api-key", **values),
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
    allowed_headers = allowed.headers["access-control-allow-headers"].lower()
    _, upload = await web.asgi_client.options(
        "/api/v1/widget/media",
        headers={
            **preflight,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-widget-session,x-widget-token",
        },
    )
    allowed_headers = upload.headers["access-control-allow-headers"].lower()
    assert {"content-type", "x-widget-session", "x-widget-token"} <= set(
        re.split(r"\s*,\s*", allowed_headers)
    )
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


# ---- photo uploads: only from an issued session, within its limits ---------------


async def issue(app: Sanic, address: Optional[str] = None) -> Tuple[int, Any, Dict[str, str]]:
    headers = {"Origin": SITE, **({"X-Forwarded-For": address} if address else {})}
    _, response = await app.asgi_client.post("/api/v1/widget/sessions", headers=headers)
    return response.status, response.json, dict(response.headers)


async def upload(
    app: Sanic,
    data: bytes,
    session: Optional[Tuple[str, str]],
    content_type: str = "image/jpeg",
    address: Optional[str] = None,
) -> Any:
    headers = {"Origin": SITE, "Content-Type": content_type}
    if session:
        headers.update({"X-Widget-Session": session[0], "X-Widget-Token": session[1]})
    if address:
        headers["X-Forwarded-For"] = address
    _, response = await app.asgi_client.post("/api/v1/widget/media", content=data, headers=headers)
    return response


async def new_session(app: Sanic, address: Optional[str] = None) -> Tuple[str, str]:
    status, body, _ = await issue(app, address)
    assert status == 201, body
    return body["session"], body["token"]


async def test_a_photo_is_taken_only_from_a_session_the_backend_issued(
    database_url: str,
) -> None:
    app = widget_app(database_url)
    mine, other = await new_session(app), await new_session(app)
    for wrong in (None, (mine[0], ""), (mine[0], other[1]), (mine[0] + "x", mine[1]), ("", "")):
        response = await upload(app, phone_photo(), wrong)
        assert response.status == 403, wrong
        assert response.headers["access-control-allow-origin"] == SITE
        assert "X-Widget-Session and X-Widget-Token" in response.json[0]["description"]
    assert stored_bytes(database_url) == (0, 0)

    response = await upload(app, phone_photo(), mine)
    assert response.status == 201
    assert response.headers["access-control-allow-origin"] == SITE
    _, served = await app.asgi_client.get(f"/media/{response.json['id']}")
    assert_clean_jpeg(served.body)


async def test_a_polyglot_from_a_valid_session_is_refused_readably(database_url: str) -> None:
    app = widget_app(database_url)
    mine = await new_session(app)
    polyglot = b"GIF89a" + b"<html><script>alert(1)</script></html>" * 10
    response = await upload(app, polyglot, mine, "image/gif")
    assert response.status == 400
    assert response.headers["access-control-allow-origin"] == SITE
    assert "not a readable" in response.json[0]["description"]
    assert stored_bytes(database_url) == (0, 0)


def assert_too_many(response: Any, counted: str) -> None:
    assert response.status == 429
    assert response.json[0]["code"] == 429
    assert counted in response.json[0]["description"]
    assert 1 <= int(response.headers["retry-after"]) <= 24 * 3600
    assert response.headers["access-control-allow-origin"] == SITE


async def test_a_burst_of_large_photos_stops_at_the_sessions_hourly_limit(
    database_url: str,
) -> None:
    app = widget_app(database_url, widget_uploads_per_hour=3)
    mine = await new_session(app)
    photos = [noise_jpeg(seed=n) for n in range(8)]
    assert all(4 * 1024 * 1024 < len(p) < 5 * 1024 * 1024 for p in photos)

    responses: List[Any] = await asyncio.gather(*(upload(app, p, mine) for p in photos))

    assert sorted(r.status for r in responses) == [201] * 3 + [429] * 5
    assert_too_many(next(r for r in responses if r.status == 429), "photo uploads")
    count, size = stored_bytes(database_url)
    # Re-encoded (quality 85) each is about a third of what was sent.
    assert count == 3 and size < 3 * 2 * 1024 * 1024


async def test_stored_photos_stop_at_the_sessions_daily_quota(database_url: str) -> None:
    quota = 4 * 1024 * 1024
    app = widget_app(database_url, widget_upload_bytes_per_day=quota)
    mine = await new_session(app)
    statuses = []
    for seed in range(5):
        response = await upload(app, noise_jpeg(seed=seed), mine)
        statuses.append(response.status)
        if response.status == 429:
            assert_too_many(response, "stored photo bytes")
    assert statuses[:2] == [201, 201] and statuses[-1] == 429
    count, size = stored_bytes(database_url)
    assert count == statuses.count(201) and size <= quota
    # Another session still has its own allowance.
    assert (await upload(app, phone_photo(), await new_session(app))).status == 201


async def test_new_sessions_do_not_renew_the_addresss_allowance(database_url: str) -> None:
    app = widget_app(database_url, widget_address_uploads_per_hour=2, proxies_count=1)
    for _ in range(2):
        response = await upload(app, phone_photo(), await new_session(app), address="198.51.100.7")
        assert response.status == 201
    again = await upload(app, phone_photo(), await new_session(app), address="198.51.100.7")
    assert_too_many(again, "photo uploads")
    # Another citizen, behind the same trusted proxy, is not held back.
    other = await upload(app, phone_photo(), await new_session(app), address="198.51.100.8")
    assert other.status == 201


async def test_an_ipv6_client_counts_by_its_64_block(sqlite_url: str) -> None:
    app = widget_app(sqlite_url, widget_sessions_per_hour=2, proxies_count=1)
    assert (await issue(app, "2001:db8:1:2::1"))[0] == 201
    assert (await issue(app, "2001:db8:1:2:ffff::9"))[0] == 201
    status, body, _ = await issue(app, "2001:db8:1:2::abcd")
    assert status == 429 and "new chat sessions" in body[0]["description"]
    assert (await issue(app, "2001:db8:1:3::1"))[0] == 201  # the next /64: someone else


async def test_minting_sessions_is_limited_per_address(database_url: str) -> None:
    app = widget_app(database_url, widget_sessions_per_hour=2)
    assert [(await issue(app))[0] for _ in range(2)] == [201, 201]
    status, body, headers = await issue(app)
    assert status == 429
    assert body[0]["description"].startswith("too many new chat sessions (at most 2 per hour)")
    assert 1 <= int(headers["retry-after"]) <= 3600
    assert headers["access-control-allow-origin"] == SITE
    assert "retry-after" in headers["access-control-expose-headers"].lower()


async def test_the_widget_script_chooses_no_session_of_its_own(web: Sanic) -> None:
    _, script = await web.asgi_client.get("/widget.js")
    # No id made from the clock or Math.random: the backend issues sessions.
    assert "Math.random" not in script.text and "Date.now" not in script.text
    assert "crypto.getRandomValues" in script.text
    # The socket and the uploads prove the session with its token.
    assert re.search(r"session_request\", \{ session_id: [^,]+, token: ", script.text)
    assert '"X-Widget-Session": state.session' in script.text

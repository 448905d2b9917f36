"""Rasa's calls to an endpoint reuse one connection instead of opening one each."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator, Awaitable, Callable, List

import aiohttp
import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot import keep_alive, patching
from tests.servers import free_port

ORIGINAL = patching.original(EndpointConfig, "session")
RASAS_REQUEST = patching.original(EndpointConfig, "request")
Handler = Callable[[web.Request], Awaitable[web.Response]]


@contextlib.asynccontextmanager
async def serving(webhook: Handler) -> AsyncIterator[str]:
    """`webhook` answering POST /webhook on a port of its own; yields the URL."""
    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        await runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, List[int]]]:
    ports: List[int] = []

    async def webhook(request: web.Request) -> web.Response:
        ports.append(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        assert request.headers["Authorization"] == "Bearer rahasia"
        return web.json_response({"events": [], "responses": []})

    async with serving(webhook) as url:
        yield url, ports


@pytest.fixture
def sent_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """EndpointConfig.request as python -m bot wraps it."""
    wrapped = keep_alive.sent_again_when_dropped(RASAS_REQUEST)
    monkeypatch.setattr(EndpointConfig, "request", wrapped)


async def test_calls_share_one_kept_alive_connection(
    server: tuple[str, List[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ports = server
    monkeypatch.setattr(EndpointConfig, "session", keep_alive.kept_alive(ORIGINAL))
    endpoint = EndpointConfig(url, headers={"Authorization": "Bearer rahasia"})
    for _ in range(3):
        assert await endpoint.request(json={"next_action": "action_check_status"}) == {
            "events": [],
            "responses": [],
        }
    assert len(ports) == 3 and len(set(ports)) == 1
    async with endpoint.session() as session:
        assert not session.closed
        await session.close()


async def test_rasas_way_opens_a_connection_per_call(server: tuple[str, List[int]]) -> None:
    """What the wrapper is for: without it each call comes from a new port."""
    url, ports = server
    endpoint = EndpointConfig(url, headers={"Authorization": "Bearer rahasia"})
    endpoint.session = ORIGINAL.__get__(endpoint)  # type: ignore[method-assign]
    for _ in range(3):
        await endpoint.request(json={})
    assert len(set(ports)) == 3


@pytest.mark.usefixtures("sent_again")
async def test_a_call_whose_connection_drops_is_sent_once_more() -> None:
    calls: List[int] = []

    async def webhook(request: web.Request) -> web.Response:
        calls.append(1)
        if len(calls) % 2:  # every other call: the replica dies with it in hand
            assert request.transport is not None
            request.transport.abort()
        return web.json_response({"events": [], "responses": []})

    async with serving(webhook) as url:
        endpoint = EndpointConfig(url)
        with pytest.raises(aiohttp.ClientError):  # Rasa's own request gives up
            await RASAS_REQUEST(endpoint, json={})
        calls.clear()
        assert await endpoint.request(json={}) == {"events": [], "responses": []}
        assert len(calls) == 2


@pytest.mark.usefixtures("sent_again")
async def test_a_server_nobody_runs_is_not_called_again() -> None:
    endpoint = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
    with pytest.raises(aiohttp.ClientConnectorError):
        await endpoint.request(json={})

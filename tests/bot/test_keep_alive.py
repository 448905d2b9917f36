"""Rasa's calls to an endpoint reuse one connection instead of opening one each."""

from __future__ import annotations

from typing import AsyncIterator, List

import aiohttp
import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot import keep_alive, patching
from tests.servers import free_port

ORIGINAL = patching.original(EndpointConfig, "session")


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, List[int]]]:
    ports: List[int] = []

    async def webhook(request: web.Request) -> web.Response:
        ports.append(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        assert request.headers["Authorization"] == "Bearer rahasia"
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/webhook", ports
    await runner.cleanup()


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


async def test_a_call_whose_connection_drops_is_sent_once_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: List[int] = []

    async def webhook(request: web.Request) -> web.Response:
        calls.append(1)
        if len(calls) == 1:  # the replica dies with the call in hand
            assert request.transport is not None
            request.transport.abort()
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        with pytest.raises(aiohttp.ClientError):  # Rasa's own request gives up
            await endpoint.request(json={})
        calls.clear()
        monkeypatch.setattr(
            EndpointConfig,
            "request",
            keep_alive.sent_again_when_dropped(patching.original(EndpointConfig, "request")),
        )
        assert await endpoint.request(json={}) == {"events": [], "responses": []}
        assert len(calls) == 2
    finally:
        await runner.cleanup()


async def test_a_server_nobody_runs_is_not_called_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        EndpointConfig,
        "request",
        keep_alive.sent_again_when_dropped(patching.original(EndpointConfig, "request")),
    )
    endpoint = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
    with pytest.raises(aiohttp.ClientConnectorError):
        await endpoint.request(json={})

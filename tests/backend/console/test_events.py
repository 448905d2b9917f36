"""Live updates over SSE from real backend servers: each person hears what their
roles may hear, and a page that reconnects (to any replica) with its last event
id gets every event it missed, once."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Tuple

import aiohttp
import pytest

from backend import live
from lapor.db import create_engine
from tests import servers
from tests.backend.console.helpers import Browser, signed_in
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.servers import Server

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, List[Server]]]:
    """Two backend replicas on one PostgreSQL database."""
    url = _create_postgres_database()
    started: List[Server] = []
    try:
        for name in ("a", "b"):
            started.append(servers.start_backend(url, tmp_path_factory.mktemp(f"live-{name}")))
        yield url, started
    finally:
        for server in started:
            server.stop()
        _drop_postgres_database(url)


@pytest.fixture
async def clean(replicas: Tuple[str, List[Server]]) -> AsyncIterator[str]:
    from tests.conftest import _truncate

    _truncate(replicas[0])
    yield replicas[0]


async def publish(
    url: str,
    topic: str,
    data: Dict[str, Any],
    roles: Tuple[str, ...],
    department: Optional[str] = None,
) -> int:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await live.publish(conn, topic, data, roles, department)
    finally:
        await engine.dispose()


Event = Tuple[int, str, Dict[str, Any]]


async def listen(
    server: Server,
    browser: Browser,
    topics: str,
    want: int,
    last_id: Optional[int] = None,
    ready: Optional[asyncio.Event] = None,
    timeout: float = 10.0,
) -> List[Event]:
    """The first `want` events of a stream (what came, if `timeout` passes first)."""
    headers = dict(browser.headers)
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    got: List[Event] = []
    async with aiohttp.ClientSession() as session:
        url = f"{server.url}/console/events?topics={topics}"
        async with session.get(url, headers=headers) as response:
            assert response.status == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            if ready:
                ready.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(_read(response, got, want), timeout)
    return got


async def _read(response: aiohttp.ClientResponse, got: List[Event], want: int) -> None:
    fields: Dict[str, str] = {}
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith(":"):
            continue
        if line:
            key, _, value = line.partition(": ")
            fields[key] = value
            continue
        if "data" in fields and "id" in fields:
            got.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
            if len(got) >= want:
                return
        fields = {}


async def test_a_page_that_reconnects_to_another_replica_gets_what_it_missed_once(
    replicas: Tuple[str, List[Server]], clean: str
) -> None:
    url, (first, second) = replicas
    page = await signed_in(url, "sari", ["triage"])
    ready = asyncio.Event()
    listening = asyncio.create_task(listen(first, page, "conversation", 2, ready=ready))
    await ready.wait()
    await publish(url, "conversation", {"n": 1}, ("triage",))
    await publish(url, "conversation", {"n": 2}, ("triage",))
    before = await listening
    assert [data["n"] for _, _, data in before] == [1, 2]
    # The page is gone: three events happen meanwhile.
    for n in (3, 4, 5):
        await publish(url, "conversation", {"n": n}, ("triage",))
    last_id = before[-1][0]
    again = await listen(second, page, "conversation", 4, last_id=last_id, timeout=1.5)
    assert [data["n"] for _, _, data in again] == [3, 4, 5]  # each once, in order
    assert all(event_id > last_id for event_id, _, _ in again)


async def test_each_person_hears_only_what_their_roles_may_hear(
    replicas: Tuple[str, List[Server]], clean: str
) -> None:
    url, (server, _) = replicas
    triage = await signed_in(url, "sari", ["triage"])
    monev = await signed_in(url, "budi", ["monev"])
    dishub = await signed_in(url, "dewi", ["staff"], "dishub")
    pupr = await signed_in(url, "eko", ["staff"], "pupr")
    start = await publish(url, "ping", {"n": 0}, ("triage",))
    await publish(url, "conversation", {"n": 1}, ("triage", "admin"))
    await publish(url, "ticket", {"n": 2}, ("staff", "triage"), department="dishub")
    await publish(url, "ticket", {"n": 3}, ("staff",), department="pupr")
    await publish(url, "conversation", {"n": 4}, ("monev",))

    async def heard(browser: Browser) -> List[int]:
        events = await listen(server, browser, "conversation,ticket", 10, start, timeout=1)
        return [data["n"] for _, _, data in events]

    assert await heard(triage) == [1, 2]  # triage hears department events of every department
    assert await heard(monev) == [4]
    assert await heard(dishub) == [2]
    assert await heard(pupr) == [3]


async def test_a_stream_without_a_session_is_refused(
    replicas: Tuple[str, List[Server]], clean: str
) -> None:
    _, (server, _) = replicas
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{server.url}/console/events?topics=conversation", allow_redirects=False
        ) as response,
    ):
        assert response.status == 302

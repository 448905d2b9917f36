"""Emergencies across two backend replicas on one PostgreSQL database: an
operator on each hears every alert, a console that reconnects to the other
replica misses nothing, and an escalation wakes the supervisor exactly once
though both replicas look for it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Tuple

import aiohttp
import pytest
from sqlalchemy import update

from backend.console.sessions import COOKIE
from backend.emergency import shifts
from backend.tables import incidents, operator_shifts
from lapor.db import create_engine
from lapor.timeutil import utcnow
from tests import servers
from tests.backend.console.helpers import Browser, signed_in
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.fake_twilio import FakeTwilio

pytestmark = pytest.mark.e2e
API = {"authorization": "Bearer test-api-key"}
SUPERVISOR = "+6281234500112"


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio
) -> Iterator[Tuple[str, List[servers.Server]]]:
    logs = tmp_path_factory.mktemp("emergency-replicas")
    database_url = _create_postgres_database()
    env = {
        **twilio.env(),
        "EMERGENCY_ACCEPT_SECONDS": "2",
        "EMERGENCY_CHECK_INTERVAL": "0.2",
        "EMERGENCY_SUPERVISOR_PHONE": SUPERVISOR,
    }
    started: List[servers.Server] = []
    try:
        for _ in range(2):
            started.append(servers.start_backend(database_url, logs, extra_env=env))
        yield database_url, started
    finally:
        for server in started:
            server.stop()
        _drop_postgres_database(database_url)


def emergency(kind: str = "emergency_fire") -> Dict[str, Any]:
    return {
        "key": uuid.uuid4().hex,
        "kind": kind,
        "channel": "web",
        "conversation_id": uuid.uuid4().hex,
        "text": "tolong ada kebakaran di pasar",
        "received_at": utcnow().isoformat(),
    }


async def file(client: aiohttp.ClientSession, server: servers.Server) -> int:
    async with client.post(
        f"{server.url}/emergency/v1/incidents", json=emergency(), headers=API
    ) as response:
        assert response.status == 201, await response.text()
        return int((await response.json())["id"])


@contextlib.asynccontextmanager
async def stream(
    client: aiohttp.ClientSession, base: str, who: Browser, last: Optional[str] = None
) -> AsyncIterator[aiohttp.ClientResponse]:
    """The console's live events (incidents) of the backend at `base`, as `who`."""
    headers = {"cookie": f"{COOKIE}={who.cookie}"}
    if last:
        headers["Last-Event-ID"] = last
    url = f"{base}/console/events?topics=incident"
    async with client.get(url, headers=headers) as response:
        assert response.status == 200
        yield response


async def alerts(
    response: aiohttp.ClientResponse, count: int, change: str = "created", timeout: float = 15
) -> List[Dict[str, Any]]:
    """The next `count` incident events of this change: their id and data (the
    replicas escalate earlier tests' incidents meanwhile: those are skipped)."""
    found: List[Dict[str, Any]] = []
    event_id = None

    async def read() -> None:
        nonlocal event_id
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if data.get("change") == change:
                    found.append({"id": event_id, **data})
                if len(found) >= count:
                    return

    await asyncio.wait_for(read(), timeout)
    return found


async def on_duty(database_url: str, who: Browser) -> None:
    engine = create_engine(database_url)
    try:
        await shifts.start(engine, who.person.id, None)
    finally:
        await engine.dispose()


async def test_an_operator_on_each_replica_hears_every_alert_and_one_accept_wins(
    replicas: Tuple[str, List[servers.Server]],
) -> None:
    database_url, (one, two) = replicas
    ani = await signed_in(database_url, f"ani-{uuid.uuid4().hex[:6]}", ["operator"])
    budi = await signed_in(database_url, f"budi-{uuid.uuid4().hex[:6]}", ["operator"])
    await on_duty(database_url, ani)
    await on_duty(database_url, budi)
    async with (
        aiohttp.ClientSession() as client,
        stream(client, one.url, ani) as first,
        stream(client, two.url, budi) as second,
    ):
        await asyncio.sleep(0.5)  # both streams are listening
        incident = await file(client, one)
        heard = await asyncio.gather(alerts(first, 1), alerts(second, 1))
        for (alert,) in heard:
            assert (alert["incident_id"], alert["change"]) == (incident, "created")
        # Both press "Terima" at once, each on their own replica.
        answers = await asyncio.gather(
            accept(client, one, ani, incident), accept(client, two, budi, incident)
        )
        assert sorted(status for status, _ in answers) == [200, 409]
        assert any("sudah diterima oleh" in body.get("error", "") for _, body in answers)


async def accept(
    client: aiohttp.ClientSession, server: servers.Server, who: Browser, incident: int
) -> Tuple[int, Dict[str, Any]]:
    async with client.post(
        f"{server.url}/console/incidents/{incident}/accept",
        data={"csrf_token": who.csrf},
        headers={
            "cookie": f"{COOKIE}={who.cookie}",
            "accept": "application/json",
            "origin": server.url,
        },
    ) as response:
        return response.status, await response.json(content_type=None)


async def test_a_console_that_reconnects_to_the_other_replica_misses_nothing(
    replicas: Tuple[str, List[servers.Server]],
) -> None:
    database_url, (one, two) = replicas
    ani = await signed_in(database_url, f"ani-{uuid.uuid4().hex[:6]}", ["operator"])
    async with aiohttp.ClientSession() as client:
        async with stream(client, one.url, ani) as first:
            await asyncio.sleep(0.5)
            await file(client, one)
            (seen,) = await alerts(first, 1)
        # The page lost its connection; meanwhile two more emergencies came in.
        missed = [await file(client, one), await file(client, two)]
        async with stream(client, two.url, ani, last=seen["id"]) as again:
            replayed = await alerts(again, 2)
    assert [a["incident_id"] for a in replayed] == missed
    assert [a["change"] for a in replayed] == ["created", "created"]


async def test_nobody_on_duty_escalates_once_and_rings_the_supervisor_once(
    replicas: Tuple[str, List[servers.Server]], fake: FakeTwilio
) -> None:
    database_url, (one, _) = replicas
    lead = await signed_in(database_url, f"lead-{uuid.uuid4().hex[:6]}", ["operator_supervisor"])
    await _quiet(database_url)
    fake.reset()
    async with aiohttp.ClientSession() as client, stream(client, one.url, lead) as listening:
        await asyncio.sleep(0.5)
        incident = await file(client, one)
        (escalated,) = await alerts(listening, 1, change="escalated")
    assert escalated["incident_id"] == incident
    deadline = time.monotonic() + 10
    while not fake.voice_calls() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)  # a second replica's call would have come by now
    (call,) = fake.voice_calls()
    assert call["To"] == SUPERVISOR and "belum diterima operator" in call["Twiml"]


async def _quiet(database_url: str) -> None:
    """Nobody on duty, and the earlier tests' incidents closed (they would escalate too)."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(operator_shifts).values(ended_at=utcnow()))
            await conn.execute(update(incidents).values(state="resolved"))
    finally:
        await engine.dispose()

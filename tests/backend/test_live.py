"""The live events hub (backend/live.py): one poller per process, each event once."""

from __future__ import annotations

import asyncio

from backend import live
from lapor.db import create_engine


async def test_pages_connecting_at_once_share_one_poller_and_hear_each_event_once(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    hub = live.Hub(engine, interval=0.02)
    try:
        await asyncio.gather(*(hub.start() for _ in range(5)))
        start = hub.newest_id
        async with engine.begin() as conn:
            await live.publish(conn, "incident", {"incident_id": 1}, roles=["operator"])
        heard = await hub.since(start, timeout=5)
        await asyncio.sleep(0.1)  # a second poller, if any, would have added it again
        heard = await hub.since(start, timeout=0.1)
        assert [e.data for e in heard] == [{"incident_id": 1}]
    finally:
        await hub.stop()
        await engine.dispose()

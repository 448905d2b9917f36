"""Live events for the console's pages, kept in the database so any replica
serves any page and a page that reconnects gets what it missed.

`publish` writes an event in the caller's transaction: a change and the
event that announces it commit together, or neither does. Each event names
who may hear it (roles, and a department for department roles); the SSE
route (backend/console/events.py) filters by the person.

Event ids are the order pages see. On PostgreSQL, ids from a sequence can
commit out of order (a transaction that took id 10 may commit after one
that took id 11), and a reader that has seen 11 would skip 10 for ever. So
`publish` first takes a lock that only publishers contend for: publishing
transactions commit one after another, in id order. Publishing is the last
statement of a transaction, so the lock is held only while it commits.
SQLite allows one writer at a time, which gives the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Deque, Dict, Iterable, List, Optional, Sequence

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.people import DEPARTMENT_ROLES
from backend.tables import live_events
from lapor.timeutil import aware, utcnow

logger = logging.getLogger(__name__)

KEEP = timedelta(days=1)  # a page away longer than this reloads instead of resuming


@dataclass(frozen=True)
class LiveEvent:
    id: int
    at: datetime
    topic: str
    roles: frozenset[str]
    department: Optional[str]
    data: Dict[str, Any]

    def audible_to(self, roles: Iterable[str], department: Optional[str]) -> bool:
        """Whether a person with these roles (and department) may hear it.

        A department-scoped event reaches department roles of that department
        only; other roles named on it hear it whatever their department."""
        mine = self.roles & set(roles)
        if not mine:
            return False
        if self.department is None:
            return True
        return bool(mine - DEPARTMENT_ROLES) or department == self.department


async def publish(
    conn: AsyncConnection,
    topic: str,
    data: Dict[str, Any],
    roles: Iterable[str],
    department: Optional[str] = None,
) -> int:
    """Add an event, in the caller's transaction; returns its id. Call it last."""
    await _serialise(conn)
    result = await conn.execute(insert(live_events).values(_row(topic, data, roles, department)))
    return int(result.inserted_primary_key[0])


async def publish_many(
    conn: AsyncConnection,
    topic: str,
    items: Sequence[Dict[str, Any]],
    roles: Iterable[str],
    department: Optional[str] = None,
) -> None:
    """Add several events of one topic in one statement (a consumer's batch). Call it last."""
    if not items:
        return
    await _serialise(conn)
    rows = [_row(topic, data, roles, department) for data in items]
    await conn.execute(insert(live_events).values(rows))


async def _serialise(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        # SHARE ROW EXCLUSIVE conflicts with itself, not with readers' ACCESS SHARE.
        await conn.execute(text("LOCK TABLE live_events IN SHARE ROW EXCLUSIVE MODE"))


def _row(
    topic: str, data: Dict[str, Any], roles: Iterable[str], department: Optional[str]
) -> Dict[str, Any]:
    return {
        "at": utcnow(),
        "topic": topic,
        "roles": ",".join(sorted(set(roles))),
        "department_code": department,
        "data": data,
    }


async def after(engine: AsyncEngine, last_id: int, limit: int = 500) -> List[LiveEvent]:
    """Events after `last_id`, oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(live_events)
            .where(live_events.c.id > last_id)
            .order_by(live_events.c.id)
            .limit(limit)
        )
        return [_event(row) for row in rows]


async def latest_id(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        value = (
            await conn.execute(select(live_events.c.id).order_by(live_events.c.id.desc()).limit(1))
        ).scalar()
    return int(value or 0)


async def prune(engine: AsyncEngine, now: Optional[datetime] = None) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            delete(live_events).where(live_events.c.at < (now or utcnow()) - KEEP)
        )
    return int(result.rowcount or 0)


def _event(row: Any) -> LiveEvent:
    return LiveEvent(
        int(row.id),
        aware(row.at),
        row.topic,
        frozenset(r for r in row.roles.split(",") if r),
        row.department_code,
        dict(row.data),
    )


class Hub:
    """One reader of `live_events` per process, shared by all its open pages.

    It polls the table every `interval` and keeps the newest events in
    memory; a page waits on the hub instead of querying the database itself.
    A page that resumes from further back than the hub holds reads the
    database directly until it has caught up (`since`)."""

    # Every 50 ms: an emergency alert waits 25 ms for the poll on average
    # (issue 12's goal is a second end to end); one indexed query per look,
    # per backend process, whatever the number of open pages.
    def __init__(self, engine: AsyncEngine, interval: float = 0.05, keep: int = 2000) -> None:
        self.engine = engine
        self.interval = interval
        self.keep = keep
        self._events: Deque[LiveEvent] = deque()
        self._complete_after: Optional[int] = None  # the buffer holds every event after this id
        self._changed = asyncio.Condition()
        self._task: Optional[asyncio.Task[None]] = None
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        # Pages that connect at once must not each start a poller (every event
        # would then reach every page once per poller).
        async with self._starting:
            if self._task is None:
                self._complete_after = await latest_id(self.engine)
                self._task = asyncio.create_task(self._poll(), name="live events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def newest_id(self) -> int:
        if self._events:
            return self._events[-1].id
        return self._complete_after or 0

    async def since(self, last_id: int, timeout: float) -> List[LiveEvent]:
        """Events after `last_id`; waits up to `timeout` seconds when there are none yet."""
        await self.start()
        if self._complete_after is None or last_id < self._complete_after:
            return await after(self.engine, last_id)
        async with self._changed:
            if self.newest_id <= last_id:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout)
            return [e for e in self._events if e.id > last_id]

    async def _poll(self) -> None:
        while True:
            try:
                fresh = await after(self.engine, self.newest_id)
            except Exception as exc:  # the database away: the pages wait, the hub retries
                logger.warning("live events: cannot read: %s", exc)
                fresh = []
            if fresh:
                async with self._changed:
                    self._events.extend(fresh)
                    while len(self._events) > self.keep:
                        self._complete_after = self._events.popleft().id
                    self._changed.notify_all()
            await asyncio.sleep(self.interval)

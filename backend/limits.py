"""Rate limits and quotas that hold across replicas and concurrent requests.

A counter is a row per (key, window) in `rate_counters`. `take` adds to it
with one upsert and reads the total back in the caller's transaction: on
PostgreSQL the upsert locks the row until commit, on SQLite the upsert takes
the database's write lock, so two requests can never both see room for one
more. Over the limit, `take` raises and the caller's transaction rolls the
increment back: refused attempts do not use up the allowance.

Keys name identities a client cannot choose: the account a trusted channel
vouches for, a server-issued widget session, the client's address.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.tables import rate_counters
from lapor.timeutil import utcnow

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Counters older than this are of no use to any window (the longest is a day).
KEEP = timedelta(days=2)


@dataclass(frozen=True)
class Limit:
    """At most `most` units of `name` per `window` for one key (0: unlimited)."""

    name: str
    most: int
    window: timedelta

    def window_start(self, now: datetime) -> datetime:
        seconds = self.window.total_seconds()
        elapsed = (now - EPOCH).total_seconds()
        return EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


class LimitExceeded(Exception):
    def __init__(self, limit: Limit, used: int, retry_after: timedelta) -> None:
        super().__init__(f"{limit.name}: {used} of {limit.most} per {limit.window}")
        self.limit = limit
        self.used = used  # what was used before this attempt
        self.retry_after = retry_after


async def take(
    conn: AsyncConnection,
    limit: Limit,
    who: str,
    amount: int = 1,
    now: datetime | None = None,
) -> int:
    """Counts `amount` for `who` in this window; raises LimitExceeded past the limit.

    Run it inside the transaction that does the limited work, so an error
    there rolls the count back too. Returns the new total.
    """
    if limit.most <= 0:
        return 0
    when = now or utcnow()
    start = limit.window_start(when)
    key = f"{limit.name}:{who}"[:200]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(rate_counters).values(key=key, window_start=start, count=amount)
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"count": rate_counters.c.count + amount},
        )
    )
    total = (
        await conn.execute(
            select(rate_counters.c.count).where(
                and_(rate_counters.c.key == key, rate_counters.c.window_start == start)
            )
        )
    ).scalar_one()
    if total > limit.most:
        raise LimitExceeded(limit, int(total) - amount, start + limit.window - when)
    return int(total)


async def check(engine: AsyncEngine, limit: Limit, who: str, amount: int = 1) -> None:
    """`take` in a transaction of its own (work that needs no transaction)."""
    async with engine.begin() as conn:
        await take(conn, limit, who, amount)


async def prune(engine: AsyncEngine) -> int:
    """Deletes counters of windows long past; returns how many."""
    async with engine.begin() as conn:
        result = await conn.execute(
            delete(rate_counters).where(rate_counters.c.window_start < utcnow() - KEEP)
        )
    return int(result.rowcount or 0)

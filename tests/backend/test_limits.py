"""Rate-limit counters: atomic across concurrent requests, refused attempts not counted."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from backend import limits
from backend.limits import Limit
from backend.tables import rate_counters
from lapor.db import create_engine

HOUR = timedelta(hours=1)


async def test_the_limit_holds_under_concurrency(database_url: str) -> None:
    engine = create_engine(database_url)
    limit = Limit("test", 3, HOUR)
    try:
        results = await asyncio.gather(
            *(limits.check(engine, limit, "warga") for _ in range(10)), return_exceptions=True
        )
        refused = [r for r in results if isinstance(r, limits.LimitExceeded)]
        assert len(refused) == 7 and results.count(None) == 3
        # Refused attempts were rolled back: the counter says 3, not 10.
        async with engine.connect() as conn:
            total = (await conn.execute(select(func.sum(rate_counters.c.count)))).scalar_one()
        assert total == 3
    finally:
        await engine.dispose()


async def test_amounts_count_and_the_error_says_when_to_retry(database_url: str) -> None:
    engine = create_engine(database_url)
    limit = Limit("bytes", 100, HOUR)
    now = datetime(2026, 11, 29, 7, 45, tzinfo=timezone.utc)
    try:
        async with engine.begin() as conn:
            assert await limits.take(conn, limit, "sesi", 60, now=now) == 60
        with pytest.raises(limits.LimitExceeded) as refused:
            async with engine.begin() as conn:
                await limits.take(conn, limit, "sesi", 50, now=now)
        assert refused.value.used == 60
        assert refused.value.retry_after == timedelta(minutes=15)
        # The next window starts afresh; another key has its own allowance.
        async with engine.begin() as conn:
            assert await limits.take(conn, limit, "sesi", 50, now=now + HOUR) == 50
            assert await limits.take(conn, limit, "lain", 100, now=now) == 100
    finally:
        await engine.dispose()


async def test_zero_means_no_limit_and_nothing_is_stored(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        for _ in range(3):
            await limits.check(engine, Limit("off", 0, HOUR), "warga")
        async with engine.connect() as conn:
            count = (
                await conn.execute(select(func.count()).select_from(rate_counters))
            ).scalar_one()
        assert count == 0
    finally:
        await engine.dispose()


async def test_old_windows_are_pruned(database_url: str) -> None:
    engine = create_engine(database_url)
    long_ago = datetime.now(timezone.utc) - timedelta(days=3)
    try:
        async with engine.begin() as conn:
            await limits.take(conn, Limit("old", 5, HOUR), "warga", now=long_ago)
            await limits.take(conn, Limit("new", 5, HOUR), "warga")
        assert await limits.prune(engine) == 1
    finally:
        await engine.dispose()

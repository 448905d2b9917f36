"""The durable job helper on SQLite and PostgreSQL: claimed once, retried, never dropped."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, AsyncIterator, List

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from lapor import jobs
from lapor.db import create_engine, ensure_sqlite_dir
from lapor.timeutil import utcnow

metadata = MetaData()
work = Table(
    "work",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("error", Text),
)


def queue(max_attempts: int | None = 3, lease: timedelta = timedelta(minutes=5)) -> jobs.Queue:
    return jobs.Queue(
        name="work",
        table=work,
        waiting=lambda: work.c.state == "waiting",
        due=work.c.due_at,
        attempts=work.c.attempts,
        error=work.c.error,
        max_attempts=max_attempts,
        dead=lambda: {"state": "dead"},
        backoff=jobs.Backoff(first=timedelta(seconds=10), most=timedelta(seconds=40)),
        lease=lease,
    )


@pytest.fixture
async def engine(empty_database: str) -> AsyncIterator[AsyncEngine]:
    ensure_sqlite_dir(empty_database)
    engine = create_engine(empty_database)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(
            work.insert(),
            [{"state": "waiting", "attempts": 0, "due_at": utcnow()} for _ in range(10)],
        )
    yield engine
    await engine.dispose()


async def _rows(engine: AsyncEngine) -> List[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(work).order_by(work.c.id))).all())


async def _make_due(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(work).values(due_at=utcnow() - timedelta(seconds=1)))


def test_backoff_doubles_up_to_its_ceiling() -> None:
    backoff = jobs.Backoff(first=timedelta(seconds=10), most=timedelta(seconds=40))
    assert [backoff.after(n).total_seconds() for n in (1, 2, 3, 4, 9)] == [10, 20, 40, 40, 40]


async def test_two_workers_never_claim_the_same_row(engine: AsyncEngine) -> None:
    first, second = await asyncio.gather(queue().claim(engine, 6), queue().claim(engine, 6))
    ids = [row.id for row in first] + [row.id for row in second]
    assert len(ids) == len(set(ids)) == 10


async def test_a_claimed_row_is_due_again_only_after_its_lease(engine: AsyncEngine) -> None:
    leased = queue(lease=timedelta(seconds=1))
    assert len(await leased.claim(engine, 10)) == 10
    assert await leased.claim(engine, 10) == []  # the holder may still be working
    await asyncio.sleep(1.1)
    assert len(await leased.claim(engine, 10)) == 10  # the holder died: taken again


async def test_failures_are_retried_with_backoff_then_dead_and_logged(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    q = queue(max_attempts=3)

    async def failing(row: Any) -> jobs.Values:
        return q.retry(row, "backend down")

    assert await q.run(engine, failing) == 10
    row = (await _rows(engine))[0]
    assert row.state == "waiting" and row.attempts == 1 and row.error == "backend down"
    assert await q.run(engine, failing) == 0  # not due yet
    with caplog.at_level(logging.ERROR, logger="lapor.jobs"):
        for _ in range(2):
            await _make_due(engine)
            await q.run(engine, failing)
    assert {(r.state, r.attempts) for r in await _rows(engine)} == {("dead", 3)}
    assert caplog.text.count("gave up after 3 attempts") == 10
    assert await q.count(engine) == 0
    assert await q.count(engine, work.c.state == "dead") == 10  # kept, and counted


async def test_a_crashing_handler_costs_an_attempt_not_the_queue(engine: AsyncEngine) -> None:
    q = queue()
    seen: List[int] = []

    async def handler(row: Any) -> jobs.Values:
        seen.append(row.id)
        if row.id == 1:
            raise RuntimeError("bug")
        return q.finish(row, state="done")

    assert await q.run(engine, handler) == 10
    rows = await _rows(engine)
    assert len(seen) == 10
    assert (rows[0].state, rows[0].attempts) == ("waiting", 1)
    assert "RuntimeError: bug" in rows[0].error
    assert {r.state for r in rows[1:]} == {"done"}


async def test_groups_run_side_by_side_and_in_order_within_each(engine: AsyncEngine) -> None:
    running: List[int] = []
    most = 0
    order: List[int] = []

    async def slow(row: Any) -> jobs.Values:
        nonlocal most
        running.append(row.id)
        most = max(most, len(running))
        await asyncio.sleep(0.05)
        running.remove(row.id)
        order.append(row.id)
        return {"state": "done"}

    # Ten rows in two groups (odd and even ids): two at a time, never more.
    assert await queue().run(engine, slow, batch=10, group=lambda row: row.id % 2) == 10
    assert most == 2
    assert [i for i in order if i % 2] == sorted(i for i in order if i % 2)
    assert [r.state for r in await _rows(engine)] == ["done"] * 10


async def test_a_round_can_be_limited_to_some_rows(engine: AsyncEngine) -> None:
    async def done(row: Any) -> jobs.Values:
        return {"state": "done"}

    assert await queue().run(engine, done, where=work.c.id <= 3) == 3
    assert [r.state for r in await _rows(engine)] == ["done"] * 3 + ["waiting"] * 7

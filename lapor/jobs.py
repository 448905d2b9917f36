"""Durable jobs kept in a database table: claimed safely, retried, never dropped.

The actions' outbox (reports waiting for the backend, and the notices about
them) and the backend's status notices are rows with a due time and an
attempt count. A `Queue` names those columns; one round:

1. claims due rows in a short transaction (FOR UPDATE SKIP LOCKED on
   PostgreSQL, so replicas never take the same row; on SQLite the claim takes
   the write lock first)
   and pushes their due time a lease ahead, so a process that dies with a
   row in hand only delays it;
2. runs the handler for each row outside any transaction (an HTTP call must
   not hold a lock);
3. writes what the handler returned: done, retry later (backoff, up to the
   cap) or a final state. A row past the cap goes to the dead state, is
   logged as an error and counted; nothing is deleted.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, Hashable, List, Optional

from sqlalchemy import Column, Table, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from lapor.timeutil import utcnow

logger = logging.getLogger(__name__)

Values = Dict[str, Any]


@dataclass(frozen=True)
class Backoff:
    """Delay before attempt n+1: `first` doubling per attempt, at most `most`."""

    first: timedelta = timedelta(seconds=15)
    most: timedelta = timedelta(minutes=10)

    def after(self, attempts: int) -> timedelta:
        doubled = self.first * (2 ** min(max(attempts - 1, 0), 16))
        return min(self.most, doubled)


@dataclass(frozen=True)
class Queue:
    """A job table: which rows wait, when they are due, how they are retried.

    `waiting` selects rows still to be handled; `due`, `attempts` and
    `error` are the columns this queue keeps its bookkeeping in (a table
    may hold two queues, as the outbox does for filing and for notices).
    """

    name: str
    table: Table
    waiting: Callable[[], ColumnElement]
    due: Column
    attempts: Column
    error: Column
    max_attempts: Optional[int]  # None: retried until it succeeds
    # What a row past the cap becomes (called then, so it may hold times).
    dead: Callable[[], Values] = dict
    backoff: Backoff = Backoff()
    lease: timedelta = timedelta(minutes=5)

    # -- outcomes a handler returns ----------------------------------------

    def retry(self, row: Any, error: str, delay: Optional[timedelta] = None) -> Values:
        """Try again later; past the cap the row is dead (logged, kept)."""
        attempts = getattr(row, self.attempts.name) + 1
        values: Values = {self.attempts.name: attempts, self.error.name: error[:500]}
        if self.max_attempts is not None and attempts >= self.max_attempts:
            logger.error(
                "%s: job %s gave up after %d attempts: %s", self.name, row.id, attempts, error
            )
            return {**values, **self.dead()}
        wait = delay if delay is not None else self.backoff.after(attempts)
        return {**values, self.due.name: utcnow() + wait}

    def finish(self, row: Any, **values: Any) -> Values:
        """Handled: the caller's final values, with the attempt counted."""
        return {self.attempts.name: getattr(row, self.attempts.name) + 1, **values}

    # -- running a round ------------------------------------------------------

    async def claim(
        self, engine: AsyncEngine, batch: int, where: Optional[ColumnElement] = None
    ) -> List[Any]:
        """Due rows (of those matching `where`, if given), leased to this process."""
        table = self.table
        now = utcnow()
        condition = self.waiting() if where is None else self.waiting() & where
        async with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                await _take_sqlite_write_lock(conn, table)
            rows = list(
                (
                    await conn.execute(
                        select(table)
                        .where(condition, self.due <= now)
                        .order_by(table.c.id)
                        .limit(batch)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
            )
            if rows:
                await conn.execute(
                    update(table)
                    .where(table.c.id.in_([row.id for row in rows]))
                    .values({self.due.name: now + self.lease})
                )
        return rows

    async def run(
        self,
        engine: AsyncEngine,
        handler: Callable[[Any], Awaitable[Values]],
        batch: int = 20,
        written: Optional[Callable[[AsyncConnection, Any, Values], Awaitable[None]]] = None,
        where: Optional[ColumnElement] = None,
        group: Optional[Callable[[Any], Hashable]] = None,
    ) -> int:
        """One round: handles every due row (matching `where`); returns how many.

        Rows run one after another, in id order. With `group`, rows of different
        groups run at the same time (in order within a group): one slow
        recipient does not hold up the others. `written`, if given, runs in
        the transaction that records each row's outcome (to announce it with it).
        """
        rows = await self.claim(engine, batch, where)
        groups: Dict[Hashable, List[Any]] = {}
        for row in rows:
            groups.setdefault(group(row) if group else None, []).append(row)
        await asyncio.gather(
            *(self._in_order(engine, handler, some, written) for some in groups.values())
        )
        return len(rows)

    async def _in_order(
        self,
        engine: AsyncEngine,
        handler: Callable[[Any], Awaitable[Values]],
        rows: List[Any],
        written: Optional[Callable[[AsyncConnection, Any, Values], Awaitable[None]]],
    ) -> None:
        for row in rows:
            try:
                values = await handler(row)
            except Exception as exc:  # a bug in one job must not stop the queue
                logger.exception("%s: job %s failed unexpectedly", self.name, row.id)
                values = self.retry(row, f"{type(exc).__name__}: {exc}")
            async with engine.begin() as conn:
                await conn.execute(
                    update(self.table).where(self.table.c.id == row.id).values(values)
                )
                if written is not None:
                    await written(conn, row, values)

    async def count(self, engine: AsyncEngine, where: Optional[ColumnElement] = None) -> int:
        """Rows waiting in this queue, or matching `where` (e.g. the dead ones)."""
        condition = self.waiting() if where is None else where
        statement = select(func.count()).select_from(self.table).where(condition)
        async with engine.connect() as conn:
            return int((await conn.execute(statement)).scalar_one())


async def _take_sqlite_write_lock(conn: AsyncConnection, table: Table) -> None:
    """SQLite's stand-in for FOR UPDATE SKIP LOCKED, for this transaction only.

    A deferred SQLite transaction lets two processes read the same due rows
    before either writes, and both would claim them. A write that changes
    nothing takes the database's write lock first, so claimers queue for it
    (within the busy timeout) while ordinary reads elsewhere stay concurrent.
    """
    await conn.execute(update(table).where(false()).values(id=table.c.id))

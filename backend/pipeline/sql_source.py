"""Rasa's `sql` event broker as a source: its table `events` (id, sender_id, data).

Each step reads the events after the cursor kept in the backend database
(pipeline_cursors) and, in ONE backend transaction, stores them and moves the
cursor: a consumer killed at any point leaves both as they were, and the next
step reads the same events again. Nothing is stored twice, nothing skipped.

Replicas: a step first takes the cursor row's lock (INSERT ... ON CONFLICT on
it begins SQLite's write transaction; SELECT ... FOR UPDATE on PostgreSQL),
so one replica reads at a time and the others wait for its commit.

Once stored, Rasa's rows are deleted (all but the last): the backend keeps
conversations for their retention period, Rasa's table would keep them for ever.

Ids are Rasa's insertion order. On SQLite they are gapless (max + 1). On
PostgreSQL a sequence hands out ids before commit, so with several Rasa
writers id 11 can be visible while id 10 is not yet: a gap. The step stops
before a gap for `gap_wait` seconds, in case it fills; after that it passes
(a rolled back insert leaves a gap for ever). docs/pipeline.md has more.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.pipeline.events import BadEvent, Row, parse, to_row
from backend.pipeline.progress import Progress
from backend.pipeline.store import store
from backend.tables import pipeline_cursors
from lapor.db import insert_ignoring

logger = logging.getLogger(__name__)

CURSOR = "rasa-sql"  # pipeline_cursors.source of this source

# The table SQLEventBroker writes (rasa/core/brokers/sql.py): created here too,
# the same way, so the consumer may start before Rasa ever did.
rasa_metadata = MetaData()
rasa_events = Table(
    "events",
    rasa_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)


class SqlSource:
    def __init__(
        self,
        backend: AsyncEngine,
        events: AsyncEngine,
        batch_size: int = 500,
        gap_wait: float = 2.0,
        progress: Optional[Progress] = None,
    ) -> None:
        self._progress = progress or Progress("sql")
        self._backend = backend
        self._events = events
        self._batch_size = batch_size
        self._gap_wait = gap_wait
        self._prepared = False
        self._seen = -1  # the last cursor this replica saw; -1: not read yet
        self._gaps: Dict[int, float] = {}  # first missing id -> when first seen

    async def step(self) -> int:
        """One batch, stored exactly once; returns how many events it consumed."""
        if not self._prepared:
            async with self._events.begin() as conn:
                await conn.run_sync(rasa_metadata.create_all)
            self._prepared = True
        if self._seen >= 0 and not await self._anything_after(self._seen):
            return 0
        async with self._backend.begin() as conn:
            position = await _lock_cursor(conn)
            records = await self._read(position)
            records = records[: self._contiguous(position, [r["id"] for r in records])]
            self._seen = position
            if not records:
                return 0
            rows = _rows(records)
            self._seen = int(records[-1]["id"])
            await conn.execute(
                update(pipeline_cursors)
                .where(pipeline_cursors.c.source == CURSOR)
                .values(position=self._seen)
            )
            stored = await store(conn, rows)  # its live events last, before commit
        self._progress.add(len(records), len(stored))
        await self._forget_before(self._seen)
        return len(records)

    async def _forget_before(self, position: int) -> None:
        """Rasa's copies of what is stored (message text, metadata with the sealed
        number) go: they are the backend's to keep, for its retention period. The
        last one stays: SQLite gives a new row the largest id + 1, so an emptied
        table would start again at 1, behind the cursor."""
        async with self._events.begin() as conn:
            await conn.execute(delete(rasa_events).where(rasa_events.c.id < position))

    async def _anything_after(self, position: int) -> bool:
        async with self._events.connect() as conn:
            found = await conn.execute(
                select(rasa_events.c.id).where(rasa_events.c.id > position).limit(1)
            )
            return found.first() is not None

    async def _read(self, position: int) -> List[Dict[str, Any]]:
        async with self._events.connect() as conn:
            rows = await conn.execute(
                select(rasa_events.c.id, rasa_events.c.data)
                .where(rasa_events.c.id > position)
                .order_by(rasa_events.c.id)
                .limit(self._batch_size)
            )
            return [dict(row._mapping) for row in rows]

    def _contiguous(self, position: int, ids: Sequence[int]) -> int:
        """How many of `ids` to take: up to a fresh gap, or all once it is old."""
        now = time.monotonic()
        self._gaps = {k: v for k, v in self._gaps.items() if k > position}
        expected = position + 1
        for index, id_ in enumerate(ids):
            if id_ != expected and position > 0:
                since = self._gaps.setdefault(expected, now)
                if now - since < self._gap_wait:
                    return index
            expected = id_ + 1
        return len(ids)


async def _lock_cursor(conn: AsyncConnection) -> int:
    # The insert comes first: on SQLite it takes the database's write lock
    # (a SELECT would not), so replicas queue here rather than both reading.
    await conn.execute(
        insert_ignoring(conn, pipeline_cursors, "source").values(source=CURSOR, position=0)
    )
    position = await conn.execute(
        select(pipeline_cursors.c.position)
        .where(pipeline_cursors.c.source == CURSOR)
        .with_for_update()
    )
    return int(position.scalar_one())


def _rows(records: Sequence[Dict[str, Any]]) -> List[Row]:
    rows = []
    for record in records:
        try:
            rows.append(to_row(parse(record["data"] or "")))
        except BadEvent as exc:
            # Kept in Rasa's table; skipped here, as it can never be stored.
            logger.warning("pipeline sql: event id=%s skipped: %s", record["id"], exc)
    return rows

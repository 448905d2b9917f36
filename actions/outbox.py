"""Reports kept while the backend is unreachable, filed when it is back.

A table in the action server's own database (SQLite for `make run`,
PostgreSQL in production via OUTBOX_DATABASE_URL), never process memory, so
a restart or another replica loses nothing. Rows are claimed with
FOR UPDATE SKIP LOCKED, and the report's idempotency key makes a second
filing of the same report return the first ticket.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from actions.backend_client import BackendRejected, BackendUnavailable, CreatedTicket, Open311Client
from actions.report import Report
from backend.db import create_engine
from backend.migrate import ensure_sqlite_dir

logger = logging.getLogger(__name__)

metadata = MetaData()
pending_reports = Table(
    "pending_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("sender_id", String(255), nullable=False),
    Column("report", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("filed_ticket", String(32)),
    Column("filed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

MAX_BACKOFF = timedelta(minutes=10)
Notify = Callable[[str, CreatedTicket], Awaitable[None]]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Outbox:
    _shared: Dict[str, "Outbox"] = {}

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Optional[AsyncEngine] = None

    @classmethod
    def shared(cls, url: str) -> "Outbox":
        """One per database URL and process (it holds a connection pool)."""
        if url not in cls._shared:
            cls._shared[url] = cls(url)
        return cls._shared[url]

    async def engine(self) -> AsyncEngine:
        if self._engine is None:
            ensure_sqlite_dir(self.url)
            engine = create_engine(self.url)
            # A single queue table owned by the action server: created here
            # rather than through the backend's migrations (it must not
            # depend on the backend being reachable).
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            self._engine = engine
        return self._engine

    async def put(self, report: Report, key: str) -> None:
        engine = await self.engine()
        values = {
            "idempotency_key": key,
            "sender_id": report.sender_id,
            "report": asdict(report),
            "attempts": 0,
            "next_attempt_at": _now(),
            "created_at": _now(),
        }
        insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        async with engine.begin() as conn:
            # The same report kept twice (a retried action) stays one row.
            await conn.execute(
                insert(pending_reports)
                .values(values)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
        logger.info("report kept in the outbox until the backend is back")

    async def pending(self) -> int:
        engine = await self.engine()
        statement = select(pending_reports.c.id).where(pending_reports.c.filed_at.is_(None))
        async with engine.connect() as conn:
            return len((await conn.execute(statement)).all())

    async def flush(self, client: Open311Client, notify: Notify, batch: int = 20) -> int:
        """File every due report; returns how many were filed."""
        engine = await self.engine()
        filed = 0
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(pending_reports)
                    .where(
                        pending_reports.c.filed_at.is_(None),
                        pending_reports.c.next_attempt_at <= _now(),
                    )
                    .order_by(pending_reports.c.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                created, outcome = await self._file(client, row)
                await conn.execute(
                    update(pending_reports).where(pending_reports.c.id == row.id).values(outcome)
                )
                if created:
                    filed += 1
                    await _notify_safely(notify, row.sender_id, created)
        return filed

    async def _file(
        self, client: Open311Client, row: Any
    ) -> Tuple[Optional[CreatedTicket], Dict[str, Any]]:
        report = Report(**row.report)
        try:
            created = await client.create(report.open311_form(), row.idempotency_key)
        except BackendUnavailable as exc:
            delay = min(MAX_BACKOFF, timedelta(seconds=15 * 2 ** min(row.attempts, 6)))
            return None, {
                "attempts": row.attempts + 1,
                "last_error": str(exc)[:500],
                "next_attempt_at": _now() + delay,
            }
        except BackendRejected as exc:
            # Retrying cannot help; keep the row (filed_at stays empty) for an
            # operator, but stop trying.
            logger.error("outbox report %s refused: %s", row.id, exc)
            return None, {
                "attempts": row.attempts + 1,
                "last_error": f"refused: {exc}"[:500],
                "next_attempt_at": datetime(9999, 1, 1, tzinfo=timezone.utc),
            }
        return created, {
            "filed_ticket": created.service_request_id,
            "filed_at": _now(),
            "attempts": row.attempts + 1,
        }

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


async def _notify_safely(notify: Notify, sender_id: str, created: CreatedTicket) -> None:
    try:
        await notify(sender_id, created)
    except Exception:  # the ticket exists; a failed notice must not undo that
        logger.exception("could not tell the citizen about ticket %s", created.service_request_id)

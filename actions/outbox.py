"""Reports kept while the backend is unreachable, filed when it is back.

A table in the action server's own database (SQLite for `make run`,
PostgreSQL in production via OUTBOX_DATABASE_URL), never process memory, so
a restart or another replica loses nothing. Rows are claimed with
FOR UPDATE SKIP LOCKED, and the report's idempotency key makes a second
filing of the same report return the first ticket.

A row goes `pending` -> `filed` (a ticket exists), `refused` (the backend
answered with an error retrying cannot fix) or `dead` (the backend stayed
down past the retry cap). Whatever the end, the citizen was promised an
answer in the conversation, so every end has a notice that is retried until
Rasa has taken it (`notice_due_at` set, `noticed_at` empty).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Protocol, Set, Tuple
from weakref import WeakKeyDictionary

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.schema import CreateColumn

from actions.backend_client import BackendRejected, BackendUnavailable, CreatedTicket, Open311Client
from actions.report import Report
from lapor import jobs
from lapor.db import create_engine, ensure_sqlite_dir, insert_ignoring
from lapor.timeutil import utcnow

logger = logging.getLogger(__name__)

PENDING, FILED, REFUSED, DEAD = "pending", "filed", "refused", "dead"
# The advisory lock the action servers take to create their tables (any
# number of the database's own; this one is "outbox" in ASCII).
SCHEMA_LOCK = 0x6F7574626F78

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
    Column("state", String(16), nullable=False, server_default=PENDING),
    # What the citizen is told of a refusal (the backend's own words).
    Column("reason", Text),
    # The notice to the conversation: due, attempts, last failure, delivered.
    Column("notice_due_at", DateTime(timezone=True)),
    Column("notice_attempts", Integer, nullable=False, server_default="0"),
    Column("notice_error", Text),
    Column("noticed_at", DateTime(timezone=True)),
)

# Unanswered filings before a report is dead-lettered: about three hours of
# outage at the capped backoff (15 s doubling to 10 min).
MAX_ATTEMPTS = 24
# The backend's hourly per-sender limit: waiting is all that helps.
RATE_LIMIT_DELAY = timedelta(minutes=15)

_c = pending_reports.c
# Filing: pending rows, until filed, refused or dead.
filing = jobs.Queue(
    name="outbox",
    table=pending_reports,
    waiting=lambda: _c.state == PENDING,
    due=_c.next_attempt_at,
    attempts=_c.attempts,
    error=_c.last_error,
    max_attempts=MAX_ATTEMPTS,
    # The citizen was promised an answer: a dead report is explained too.
    dead=lambda: {"state": DEAD, "notice_due_at": utcnow()},
)
# Notices: every end of a report is told to its conversation, retried until
# Rasa takes it.
notices = jobs.Queue(
    name="outbox notices",
    table=pending_reports,
    waiting=lambda: _c.notice_due_at.is_not(None) & _c.noticed_at.is_(None),
    due=_c.notice_due_at,
    attempts=_c.notice_attempts,
    error=_c.notice_error,
    max_attempts=None,
)


class Notifier(Protocol):
    """Tells a conversation how its kept report ended (raises when it could not)."""

    async def report_filed(self, sender_id: str, ticket: str) -> None: ...
    async def report_not_filed(self, sender_id: str, reason: Optional[str]) -> None: ...


@dataclass(frozen=True)
class DeadLetter:
    id: int
    sender_id: str
    state: str
    attempts: int
    last_error: Optional[str]
    created_at: datetime
    category: str
    description: str


async def _one_creator_at_a_time(conn: AsyncConnection) -> None:
    """Replicas starting together must not create the same tables at once:
    PostgreSQL would refuse the second (a duplicate type), after the first
    checked they were missing. The lock lasts until the transaction ends;
    SQLite's single writer does the same by itself."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})


class Outbox:
    _shared: Dict[str, "Outbox"] = {}

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Optional[AsyncEngine] = None
        # Whose tables exist on the engine: the outbox's, and the incidents'
        # (actions/incidents.py) that share this database and its pool.
        self._schemas: Set[MetaData] = set()
        self._locks: "WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = (
            WeakKeyDictionary()
        )

    @classmethod
    def shared(cls, url: str) -> "Outbox":
        """One per database URL and process (it holds a connection pool)."""
        if url not in cls._shared:
            cls._shared[url] = cls(url)
        return cls._shared[url]

    async def engine(self, schema: MetaData = metadata) -> AsyncEngine:
        """The database's engine, with `schema`'s tables created on first use."""
        if self._engine is None or schema not in self._schemas:
            # First users may come together (both workers start at once, a
            # turn keeps something): one creates, the others wait for it.
            async with self._lock():
                if self._engine is None:
                    self._engine = await self._open()
                    self._schemas = {metadata}
                if schema not in self._schemas:
                    async with self._engine.begin() as conn:
                        await _one_creator_at_a_time(conn)
                        await conn.run_sync(schema.create_all)
                    self._schemas.add(schema)
        return self._engine

    async def _open(self) -> AsyncEngine:
        ensure_sqlite_dir(self.url)
        engine = create_engine(self.url)
        # Queue tables owned by the action server: created here rather than
        # through the backend's migrations (they must not depend on the
        # backend being reachable).
        async with engine.begin() as conn:
            await _one_creator_at_a_time(conn)
            await conn.run_sync(metadata.create_all)
            await conn.run_sync(_add_missing_columns)
        return engine

    def _lock(self) -> asyncio.Lock:
        """This event loop's lock (tests run each in a loop of its own)."""
        loop = asyncio.get_running_loop()
        if loop not in self._locks:
            self._locks[loop] = asyncio.Lock()
        return self._locks[loop]

    async def put(self, report: Report, key: str) -> None:
        engine = await self.engine()
        now = utcnow()
        values = {
            "idempotency_key": key,
            "sender_id": report.sender_id,
            "report": asdict(report),
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "state": PENDING,
        }
        async with engine.begin() as conn:
            # The same report kept twice (a retried action) stays one row.
            await conn.execute(
                insert_ignoring(conn, pending_reports, "idempotency_key").values(values)
            )
        logger.info("report kept in the outbox until the backend is back")

    async def pending(self) -> int:
        return await filing.count(await self.engine())

    async def flush(self, client: Open311Client, notifier: Notifier, batch: int = 20) -> int:
        """Files due reports, then delivers due notices; returns how many were filed."""
        engine = await self.engine()
        filed = 0

        async def file(row: Any) -> Dict[str, Any]:
            nonlocal filed
            values = await _file(client, row)
            filed += values.get("state") == FILED
            return values

        await filing.run(engine, file, batch)
        await notices.run(engine, lambda row: _notify(notifier, row), batch)
        return filed

    async def dead_letters(self) -> List[DeadLetter]:
        """Reports that will not be filed automatically: refused or dead."""
        engine = await self.engine()
        statement = select(pending_reports).where(_c.state.in_([REFUSED, DEAD])).order_by(_c.id)
        async with engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [_dead_letter(row) for row in rows]

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
            self._schemas = set()


async def _file(client: Open311Client, row: Any) -> Dict[str, Any]:
    report = Report(**row.report)
    try:
        created = await client.create(report.open311_form(), row.idempotency_key)
    except BackendUnavailable as exc:
        return filing.retry(row, str(exc))
    except BackendRejected as exc:
        if exc.status == 429:
            logger.info("outbox report %s rate-limited; retrying later", row.id)
            return filing.retry(row, str(exc), delay=RATE_LIMIT_DELAY)
        logger.error("outbox report %s refused by the backend: %s", row.id, exc)
        return filing.finish(
            row,
            state=REFUSED,
            last_error=f"refused: {exc}"[:500],
            reason="; ".join(exc.descriptions)[:500],
            notice_due_at=utcnow(),
        )
    return _filed(row, created)


def _filed(row: Any, created: CreatedTicket) -> Dict[str, Any]:
    now = utcnow()
    return filing.finish(
        row, state=FILED, filed_ticket=created.service_request_id, filed_at=now, notice_due_at=now
    )


async def _notify(notifier: Notifier, row: Any) -> Dict[str, Any]:
    try:
        if row.state == FILED:
            await notifier.report_filed(row.sender_id, row.filed_ticket)
        else:
            await notifier.report_not_filed(row.sender_id, row.reason)
    except Exception as exc:  # Rasa down, a wrong token: the notice waits, never dropped
        logger.warning("outbox notice %s not delivered: %s", row.id, exc)
        return notices.retry(row, str(exc))
    return notices.finish(row, noticed_at=utcnow())


def _dead_letter(row: Any) -> DeadLetter:
    report = row.report or {}
    return DeadLetter(
        id=row.id,
        sender_id=row.sender_id,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        category=str(report.get("category") or "-"),
        description=str(report.get("description") or ""),
    )


def _add_missing_columns(conn: Connection) -> None:
    """Brings a table made by an earlier release up to the columns above.

    Only nullable or defaulted columns are ever added, so this is safe on a
    live table; rows from before `state` existed get theirs from the old
    columns (filed, or refused with the far-future retry date).
    """
    present = {column["name"] for column in inspect(conn).get_columns(pending_reports.name)}
    missing: List[Column] = [c for c in pending_reports.columns if c.name not in present]
    for column in missing:
        ddl = CreateColumn(column).compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE {pending_reports.name} ADD COLUMN {ddl}"))
    if "state" in {c.name for c in missing}:
        table = pending_reports.c
        conn.execute(update(pending_reports).where(table.filed_at.is_not(None)).values(state=FILED))
        far = datetime(9000, 1, 1, tzinfo=timezone.utc)
        conn.execute(
            update(pending_reports)
            .where(table.filed_at.is_(None), table.next_attempt_at > far)
            .values(state=REFUSED)
        )


def summary(letters: List[DeadLetter]) -> Tuple[str, ...]:
    """Lines for `python -m actions dead-letters`."""
    if not letters:
        return ("no dead letters: every kept report was filed or is still being retried",)
    return tuple(
        f"#{d.id} {d.state} {d.created_at:%Y-%m-%d %H:%M} {d.category} "
        f"attempts={d.attempts} sender={d.sender_id} error={d.last_error or '-'} "
        f"| {d.description[:80]}"
        for d in letters
    )

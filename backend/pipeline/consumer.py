"""`python -m backend consume`: the loop around one source, until SIGTERM or SIGINT.

A signal sets `stop`; the batch in hand is stored (or, for RabbitMQ, left
unacknowledged) before the process exits, so a clean stop loses nothing and
redoes nothing. A database that cannot be reached pauses the loop with a
growing wait; it never ends the process (a supervisor restarting a crashing
consumer in a loop would only add noise).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.pipeline.progress import Progress, backoff, sleep_or_stop
from backend.pipeline.rabbit_source import RabbitSource
from backend.pipeline.sql_source import SqlSource
from backend.settings import BackendSettings
from lapor.db import create_engine, ensure_sqlite_dir

logger = logging.getLogger(__name__)

SQL, PIKA = "sql", "pika"


async def consume(settings: BackendSettings, source: str, stop: asyncio.Event) -> None:
    engine = create_engine(settings.database_url)
    progress = Progress(source)
    try:
        if source == PIKA:
            rabbit = RabbitSource(
                engine,
                settings.rabbitmq_url,
                settings.rabbitmq_queue,
                prefetch=settings.pipeline_batch_size,
                progress=progress,
                exchange=settings.rabbitmq_exchange,
            )
            await rabbit.run(stop)
        else:
            await _consume_sql(settings, engine, progress, stop)
    finally:
        progress.flush()
        await engine.dispose()


async def _consume_sql(
    settings: BackendSettings, engine: AsyncEngine, progress: Progress, stop: asyncio.Event
) -> None:
    ensure_sqlite_dir(settings.rasa_events_database_url)
    events = create_engine(settings.rasa_events_database_url)
    source = SqlSource(
        engine,
        events,
        batch_size=settings.pipeline_batch_size,
        progress=progress,
    )
    try:
        failures = 0
        while not stop.is_set():
            try:
                consumed = await source.step()
                failures = 0
            except (SQLAlchemyError, OSError) as exc:
                failures += 1
                logger.warning(
                    "pipeline sql: database unreachable (%s); retrying", type(exc).__name__
                )
                await sleep_or_stop(stop, backoff(failures))
                continue
            if not consumed:
                await sleep_or_stop(stop, settings.pipeline_poll_interval)
    finally:
        await events.dispose()


def run(settings: BackendSettings, source: str) -> int:
    """The process: consume until a signal asks it to stop."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        logger.info("pipeline: consuming Rasa's %s event broker", source)
        await consume(settings, source, stop)
        logger.info("pipeline: stopped")

    asyncio.run(main())
    return 0

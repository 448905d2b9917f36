"""Rasa's `pika` event broker as a source: a durable RabbitMQ queue.

Rasa's PikaEventBroker (rasa/core/brokers/pika.py) declares each of its
queues durable, binds it to its fanout exchange (`exchange_name`, RABBITMQ_EXCHANGE:
`rasa-exchange` unless set) and publishes
every event as a persistent message whose body is json.dumps(event). This
consumer declares the queue the same way (so either may start first) and:
- takes up to `prefetch` unacknowledged messages at a time;
- stores what has arrived as one batch, in one transaction;
- acknowledges each message only after that transaction committed.
A consumer killed before the ack gets its messages redelivered (to itself or
to another replica); their event_keys are stored already, so they are no-ops.
While the database is down nothing is acknowledged: the batch waits and is
retried with a growing pause, and RabbitMQ keeps everything behind it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import List, Optional

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.pipeline.events import BadEvent, Row, parse, to_row
from backend.pipeline.progress import Progress, backoff, sleep_or_stop
from backend.pipeline.store import store

logger = logging.getLogger(__name__)

# PikaEventBroker's default exchange_name. Every queue bound to an exchange
# gets every event published to it: two installations on one RabbitMQ need
# an exchange each (the cluster's tests run beside `make run-cluster`).
RASA_EXCHANGE = "rasa-exchange"
LINGER = 0.02  # seconds a batch waits for more messages after its first


class RabbitSource:
    def __init__(
        self,
        engine: AsyncEngine,
        url: str,
        queue: str,
        prefetch: int = 100,
        progress: Optional[Progress] = None,
        exchange: str = RASA_EXCHANGE,
    ) -> None:
        self._engine = engine
        self._url = url
        self._queue = queue
        self._exchange = exchange
        self._prefetch = prefetch
        self._progress = progress or Progress("pika")

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; the batch in hand is finished first."""
        connection = await self._connect(stop)
        if connection is None:
            return
        try:
            inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self._prefetch)
            exchange = await channel.declare_exchange(self._exchange, aio_pika.ExchangeType.FANOUT)
            queue = await channel.declare_queue(self._queue, durable=True)
            await queue.bind(exchange, "")
            tag = await queue.consume(inbox.put, no_ack=False)
            logger.info("pipeline pika: consuming queue %s", self._queue)
            while not stop.is_set():
                batch = await _next_batch(inbox, stop, self._prefetch)
                if batch:
                    await self._handle(batch, stop)
            await queue.cancel(tag)
        finally:
            # Messages received but not acknowledged go back to the queue.
            await connection.close()

    async def _connect(self, stop: asyncio.Event) -> Optional[AbstractRobustConnection]:
        attempt = 0
        while not stop.is_set():
            try:
                return await aio_pika.connect_robust(self._url)
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                attempt += 1
                logger.warning("pipeline pika: RabbitMQ unreachable (%s); retrying", exc)
                await sleep_or_stop(stop, backoff(attempt))
        return None

    async def _handle(self, batch: List[AbstractIncomingMessage], stop: asyncio.Event) -> None:
        rows = _rows(batch)
        attempt = 0
        while True:
            try:
                async with self._engine.begin() as conn:
                    stored = await store(conn, rows)
                break
            except (SQLAlchemyError, OSError) as exc:
                # Not acknowledged: RabbitMQ keeps them; retried here, or
                # redelivered to another replica if this one stops.
                attempt += 1
                logger.warning(
                    "pipeline pika: database write failed (%s); batch of %d kept, retrying",
                    type(exc).__name__,
                    len(batch),
                )
                if stop.is_set():
                    return
                await sleep_or_stop(stop, backoff(attempt))
        try:
            # One ack for the batch: `multiple` acknowledges every delivery up to
            # the last one on its channel, and each of those is in this batch or
            # an earlier one (the inbox is first in, first out).
            await batch[-1].ack(multiple=True)
        except Exception as exc:  # the channel went away: redelivered, then a no-op
            logger.info("pipeline pika: ack lost (%s); redelivery will be skipped", exc)
        self._progress.add(len(batch), len(stored))


async def _next_batch(
    inbox: "asyncio.Queue[AbstractIncomingMessage]", stop: asyncio.Event, limit: int
) -> List[AbstractIncomingMessage]:
    """What arrives within LINGER of the first message (waited for at most 0.5 s)."""
    try:
        first = await asyncio.wait_for(inbox.get(), timeout=0.5)
    except asyncio.TimeoutError:
        return []
    batch = [first]
    # A short linger gathers what is on its way: one transaction per message
    # would cost more than the wait (the commit, not the rows, dominates).
    deadline = asyncio.get_running_loop().time() + LINGER
    while len(batch) < limit:
        left = deadline - asyncio.get_running_loop().time()
        if inbox.empty() and left <= 0:
            break
        try:
            batch.append(
                inbox.get_nowait()
                if not inbox.empty()
                else await asyncio.wait_for(inbox.get(), left)
            )
        except asyncio.TimeoutError:
            break
    return batch


def _rows(batch: List[AbstractIncomingMessage]) -> List[Row]:
    rows = []
    for message in batch:
        try:
            rows.append(to_row(parse(message.body)))
        except BadEvent as exc:
            # It can never be stored: acknowledged with the batch, and said.
            logger.warning("pipeline pika: message of %d bytes dropped: %s", len(message.body), exc)
    return rows

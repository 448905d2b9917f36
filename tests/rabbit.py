"""The machine's RabbitMQ in tests: each test's queue is its own and is deleted after."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"


def queue_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def delete_queue(queue: str, exchange: str = "") -> None:
    connection = await aio_pika.connect(RABBITMQ_URL)
    try:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        if exchange:
            await channel.exchange_delete(exchange)
    finally:
        await connection.close()


def drop_queue(queue: str, exchange: str = "") -> None:
    """delete_queue (and an exchange of its own) for code outside an event loop."""
    asyncio.run(delete_queue(queue, exchange))

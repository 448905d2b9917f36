"""The conversation pipeline end to end: Rasa's own event brokers publish, the
consumer stores (backend/pipeline/). Kill tests: SIGKILL mid-stream, restart,
every event stored exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import aio_pika
import pytest
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from backend.pipeline import events
from backend.pipeline.rabbit_source import RASA_EXCHANGE, RabbitSource
from backend.pipeline.sql_source import SqlSource, rasa_events
from backend.tables import conversation_events, conversations, live_events
from lapor.db import create_engine, sync_url
from tests import servers
from tests.conftest import _truncate
from tests.rabbit import RABBITMQ_URL, delete_queue, drop_queue, queue_name


def rasa_stream(count: int, senders: int = 50) -> List[Dict[str, Any]]:
    """`count` events as Rasa's tracker store publishes them, over `senders` conversations."""
    start = time.time() - count
    made: List[Dict[str, Any]] = []
    for i in range(count):
        sender = f"pseudo-{i % senders:03d}"
        at = start + i * 0.001
        event: Any
        if i % 4 == 0:
            event = UserUttered(
                f"pesan {i}, nomor saya 0812-3456-{i % 10000:04d}",
                intent={"name": "lapor", "confidence": 0.8},
                input_channel="rest",
                metadata={"contact": "sealed"},
                timestamp=at,
            )
        elif i % 4 == 1:
            event = ActionExecuted("utter_terima_kasih", timestamp=at)
        elif i % 4 == 2:
            event = BotUttered(f"Terima kasih {i}", timestamp=at)
        else:
            event = SlotSet("kelurahan", "Bandar Lor", timestamp=at)
        made.append({"sender_id": sender, **event.as_dict()})
    return made


def expected_keys(stream: List[Dict[str, Any]]) -> Set[str]:
    return {events.event_key(e) for e in stream if events.to_row(e).kind is not None}


def stored_keys(database_url: str) -> List[str]:
    engine = create_sync_engine(sync_url(database_url), future=True)
    with engine.connect() as conn:
        keys = list(conn.execute(select(conversation_events.c.event_key)).scalars())
    engine.dispose()
    return keys


def clear_rasa_events(database_url: str) -> None:
    engine = create_sync_engine(sync_url(database_url), future=True)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS events"))
    engine.dispose()


def rasa_rows(database_url: str) -> int:
    engine = create_sync_engine(sync_url(database_url), future=True)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(rasa_events)).scalar_one()
    engine.dispose()
    return int(count)


def sql_broker(database_url: str) -> SQLEventBroker:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return SQLEventBroker(dialect="sqlite", db=str(url.database))
    return SQLEventBroker(
        dialect="postgresql", host=url.host, port=url.port, db=url.database, username=url.username
    )


# --- the sql broker ---------------------------------------------------------


async def test_events_rasas_sql_broker_wrote_are_stored_once(database_url: str) -> None:
    clear_rasa_events(database_url)
    broker = sql_broker(database_url)  # Rasa's own class writes its table
    stream = rasa_stream(40, senders=3)
    for event in stream:
        broker.publish(event)
    broker.engine.dispose()
    engine = create_engine(database_url)
    source = SqlSource(engine, engine, batch_size=7)
    try:
        while await source.step():
            pass
        assert await source.step() == 0  # nothing new: nothing read twice
        # Rasa's copies are gone but the last (its id keeps SQLite's ids rising).
        assert rasa_rows(database_url) == 1
        later = rasa_stream(4, senders=1)
        broker = sql_broker(database_url)
        for event in later:
            broker.publish(event)
        broker.engine.dispose()
        while await source.step():
            pass
    finally:
        await engine.dispose()
    keys = stored_keys(database_url)
    assert sorted(keys) == sorted(expected_keys(stream + later))
    sync = create_sync_engine(sync_url(database_url), future=True)
    with sync.connect() as conn:
        users = conn.execute(select(func.sum(conversations.c.user_messages))).scalar_one()
        texts = " ".join(
            t or "" for t in conn.execute(select(conversation_events.c.text)).scalars()
        )
        published = conn.execute(select(func.count()).select_from(live_events)).scalar_one()
    sync.dispose()
    assert users == 11 and published == 22
    assert "0812-****-****" in texts and "3456" not in texts


# --- the pika broker --------------------------------------------------------


async def publish_with_rasa(
    queue: str, stream: List[Dict[str, Any]], exchange: str = RASA_EXCHANGE
) -> None:
    """Rasa's PikaEventBroker publishes each event (declaring the durable queue)."""
    broker = PikaEventBroker("localhost", "guest", "guest", queues=[queue], exchange_name=exchange)
    await broker.connect()
    for event in stream:
        broker.publish(event)
    while broker._background_tasks:
        await asyncio.sleep(0.01)
    await broker.close()


async def queue_length(queue: str) -> int:
    connection = await aio_pika.connect(RABBITMQ_URL)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        return int(declared.declaration_result.message_count or 0)
    finally:
        await connection.close()


@pytest.fixture
def queue() -> Iterator[str]:
    name = queue_name("test_pipeline")
    yield name
    drop_queue(name)


async def test_events_rasas_pika_broker_published_are_stored_and_acked(
    database_url: str, queue: str
) -> None:
    stream = rasa_stream(60, senders=4)
    await publish_with_rasa(queue, stream)
    redelivered = stream[:8]  # a redelivery after a crash: the same events again
    await publish_with_rasa(queue, redelivered)
    engine = create_engine(database_url)
    stop = asyncio.Event()
    consumer = asyncio.create_task(RabbitSource(engine, RABBITMQ_URL, queue, prefetch=16).run(stop))
    want = expected_keys(stream)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(stored_keys(database_url)) < len(want):
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # the redelivered copies, if still in flight
    stop.set()
    await asyncio.wait_for(consumer, 10)
    await engine.dispose()
    assert await queue_length(queue) == 0
    assert sorted(stored_keys(database_url)) == sorted(want)


async def test_an_installation_with_an_exchange_of_its_own_gets_only_its_events(
    database_url: str, queue: str
) -> None:
    ours, theirs = rasa_stream(6, senders=1), rasa_stream(6, senders=1)
    exchange = f"{queue}_x"
    neighbour = queue_name("test_pipeline_neighbour")
    try:
        await publish_with_rasa(queue, ours, exchange=exchange)
        # Another installation on the same RabbitMQ, on Rasa's default exchange.
        await publish_with_rasa(neighbour, theirs)
        engine = create_engine(database_url)
        stop = asyncio.Event()
        source = RabbitSource(engine, RABBITMQ_URL, queue, exchange=exchange)
        consumer = asyncio.create_task(source.run(stop))
        deadline = time.monotonic() + 20
        want = expected_keys(ours)
        while time.monotonic() < deadline and len(stored_keys(database_url)) < len(want):
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(consumer, 10)
        await engine.dispose()
        assert sorted(stored_keys(database_url)) == sorted(want)
        assert await queue_length(neighbour) == len(theirs)  # not delivered to us either
    finally:
        await delete_queue(neighbour, exchange=exchange)


async def test_while_the_database_is_down_nothing_is_acknowledged(
    database_url: str, queue: str
) -> None:
    stream = rasa_stream(12, senders=2)
    await publish_with_rasa(queue, stream)
    down = create_engine("postgresql://postgres@127.0.0.1:9/nowhere")  # nothing listens
    stop = asyncio.Event()
    consumer = asyncio.create_task(RabbitSource(down, RABBITMQ_URL, queue).run(stop))
    await asyncio.sleep(2)  # a few failed attempts, backing off
    assert not consumer.done()  # it waits; it does not crash
    stop.set()
    await asyncio.wait_for(consumer, 15)
    await down.dispose()
    for _ in range(50):  # RabbitMQ requeues what was unacknowledged as the channel closes
        if await queue_length(queue) == len(stream):
            break
        await asyncio.sleep(0.1)
    assert await queue_length(queue) == len(stream)  # all back in the queue
    assert stored_keys(database_url) == []
    engine = create_engine(database_url)  # the database is back
    stop = asyncio.Event()
    consumer = asyncio.create_task(RabbitSource(engine, RABBITMQ_URL, queue).run(stop))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(stored_keys(database_url)) < 6:
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(consumer, 15)
    await engine.dispose()
    assert sorted(stored_keys(database_url)) == sorted(expected_keys(stream))


# --- kill tests: SIGKILL mid-stream, restart, exactly once --------------------


def start_consumer(database_url: str, log: Path, **env: str) -> subprocess.Popen:
    return servers.start_consumer(database_url, log, PIPELINE_BATCH_SIZE="50", **env)


def wait_for_rows(database_url: str, at_least: int, process: subprocess.Popen) -> int:
    engine = create_sync_engine(sync_url(database_url), future=True)
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                n = conn.execute(select(func.count()).select_from(conversation_events)).scalar_one()
            if n >= at_least:
                return int(n)
            assert process.poll() is None, "the consumer exited"
            time.sleep(0.01)
    finally:
        engine.dispose()
    raise AssertionError(f"fewer than {at_least} rows after 90 s")


def kill_mid_stream_and_restart(
    database_url: str, tmp_path: Path, stream: List[Dict[str, Any]], **env: str
) -> None:
    want = expected_keys(stream)
    log = tmp_path / "consumer.log"
    first = start_consumer(database_url, log, **env)
    try:
        reached = wait_for_rows(database_url, 100, first)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    assert reached < len(want), "killed too late to test anything"
    second = start_consumer(database_url, log, **env)
    try:
        wait_for_rows(database_url, len(want), second)
        time.sleep(0.5)  # anything stored twice would show now
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0  # a clean stop on SIGTERM
    keys = stored_keys(database_url)
    assert len(keys) == len(set(keys)) == len(want)
    assert set(keys) == want


@pytest.fixture
def postgres_backend(postgresql_url: str) -> str:
    _truncate(postgresql_url)
    return postgresql_url


def test_pika_consumer_killed_mid_stream_loses_and_repeats_nothing(
    postgres_backend: str, queue: str, tmp_path: Path
) -> None:
    stream = rasa_stream(2000)
    asyncio.run(publish_with_rasa(queue, stream))
    kill_mid_stream_and_restart(
        postgres_backend, tmp_path, stream, PIPELINE_SOURCE="pika", RABBITMQ_QUEUE=queue
    )
    assert asyncio.run(queue_length(queue)) == 0


def test_sql_consumer_killed_mid_stream_loses_and_repeats_nothing(
    postgres_backend: str, tmp_path: Path
) -> None:
    events_url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    engine = create_sync_engine(events_url, future=True)
    rasa_events.metadata.create_all(engine)
    stream = rasa_stream(2000)
    with engine.begin() as conn:  # what SQLEventBroker.publish writes, in bulk
        conn.execute(
            rasa_events.insert(),
            [{"sender_id": e["sender_id"], "data": json.dumps(e)} for e in stream],
        )
    engine.dispose()
    kill_mid_stream_and_restart(
        postgres_backend,
        tmp_path,
        stream,
        PIPELINE_SOURCE="sql",
        RASA_EVENTS_DATABASE_URL=events_url,
    )


# --- a real Rasa server ------------------------------------------------------

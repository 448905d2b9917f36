"""`make bench-pipeline`: the delay from a citizen's message to the console.

Rasa's own broker (PikaEventBroker to the local RabbitMQ, or SQLEventBroker
with `--source sql`) publishes 1,000 turns as Rasa does (the user's message,
the bot's action, its answer, action_listen), each stamped with the current
time, while `python -m backend consume` runs on a fresh PostgreSQL database
and a real backend serves the console. A triage officer's event stream
(/console/events, as an open console page hears it) takes for each user
message the time from the event's timestamp to the moment it arrives: the
whole path. Prints p50, p90, p99 and max in ms, and the throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List

import aiohttp
import structlog
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from backend import live, migrate, people
from backend.console import sessions
from lapor.db import create_engine
from tests import servers
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.rabbit import drop_queue, queue_name


def turn(sender: str, n: int) -> List[Dict[str, Any]]:
    now = time.time()
    made = [
        UserUttered(
            f"lampu jalan mati nomor {n}",
            intent={"name": "lapor_pju", "confidence": 0.9},
            input_channel="whatsapp",
            timestamp=now,
        ),
        ActionExecuted("utter_terima_kasih", timestamp=now + 0.0001),
        BotUttered("Terima kasih, laporan kami terima.", timestamp=now + 0.0002),
        ActionExecuted("action_listen", timestamp=now + 0.0003),
    ]
    return [{"sender_id": sender, **event.as_dict()} for event in made]


async def publish(args: argparse.Namespace, queue: str, events_db: Path) -> float:
    if args.source == "pika":
        from rasa.core.brokers.pika import PikaEventBroker

        broker: Any = PikaEventBroker("localhost", "guest", "guest", queues=[queue])
        await broker.connect()
    else:
        from rasa.core.brokers.sql import SQLEventBroker

        broker = SQLEventBroker(dialect="sqlite", db=str(events_db))
    started = time.perf_counter()
    for n in range(args.messages):
        for event in turn(f"bench-{n % 100:03d}", n):
            broker.publish(event)
        # Paced: the delay is measured at a steady rate, not against a backlog.
        pause = started + (n + 1) / args.rate - time.perf_counter()
        await asyncio.sleep(max(0.0, pause))
    if args.source == "pika":
        while broker._background_tasks:
            await asyncio.sleep(0.005)
        await broker.close()
    return time.perf_counter() - started


async def watch(
    backend: servers.Server, cookie: str, expected: int, timeout: float, last: int
) -> List[float]:
    """Delays of the citizens' messages as a console page hears them (its SSE stream)."""
    delays: List[float] = []
    headers = {"cookie": f"{sessions.COOKIE}={cookie}"}
    url = f"{backend.url}/console/events?topics=conversation&after={last}"
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as stream:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(_hear(stream, delays, expected), timeout)
    return delays


async def _hear(stream: aiohttp.ClientResponse, delays: List[float], expected: int) -> None:
    async for raw in stream.content:
        line = raw.decode()
        if not line.startswith("data: "):
            continue
        data = json.loads(line[len("data: ") :])
        if data.get("kind") == "user":
            delays.append(time.time() - datetime.fromisoformat(data["at"]).timestamp())
            if len(delays) >= expected:
                return


async def _session(database_url: str) -> str:
    """A triage officer signed in (the stream wants a session)."""
    engine = create_engine(database_url)
    try:
        person = await people.create_user(engine, "bench-pemilah", "x" * 16, ["triage"])
        hours = timedelta(hours=1)
        return await sessions.open_session(engine, person, sessions.Lifetimes(hours, hours))
    finally:
        await engine.dispose()


async def measure(args: argparse.Namespace, database_url: str, queue: str, work: Path) -> None:
    events_db = work / "events.sqlite3"
    env = servers.base_env(
        DATABASE_URL=database_url,
        PIPELINE_SOURCE=args.source,
        RABBITMQ_QUEUE=queue,
        RASA_EVENTS_DATABASE_URL=f"sqlite:///{events_db}",
    )
    log = (work / "consumer.log").open("w")
    consumer = subprocess.Popen(
        [servers.PYTHON, "-m", "backend", "consume"],
        cwd=servers.REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    backend = servers.start_backend(database_url, work)
    try:
        cookie = await _session(database_url)
        await asyncio.sleep(3)  # the consumer up and declared the queue
        # Known before the first message: none is stored before the watcher looks.
        last = await _latest(database_url)
        started = time.perf_counter()
        watcher = asyncio.create_task(watch(backend, cookie, args.messages, args.timeout, last))
        sent = await publish(args, queue, events_db)
        delays = await watcher
        elapsed = time.perf_counter() - started
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(timeout=30)
        backend.stop()
    report(args, delays, sent, elapsed)


async def _latest(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        return await live.latest_id(engine)
    finally:
        await engine.dispose()


def report(args: argparse.Namespace, delays: List[float], sent: float, elapsed: float) -> None:
    ms = sorted(d * 1000 for d in delays)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [0.0] * 99
    print(
        f"pipeline ({args.source}): {len(ms)}/{args.messages} messages seen, "
        f"sent at {args.messages / sent:.0f} msg/s ({4 * args.messages / sent:.0f} events/s)"
    )
    if ms:
        print(
            f"delay message -> console page (SSE): p50={q[49]:.1f}ms p90={q[89]:.1f}ms "
            f"p99={q[98]:.1f}ms max={ms[-1]:.1f}ms"
        )
    print(f"throughput: {len(ms) / elapsed:.0f} messages/s ({4 * len(ms) / elapsed:.0f} events/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", choices=["pika", "sql"], default="pika")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    # Rasa's brokers log each event (its text included) at debug level.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    database_url = _create_postgres_database()
    queue = queue_name("bench_pipeline")
    try:
        migrate.upgrade(database_url)
        with tempfile.TemporaryDirectory() as work:
            asyncio.run(measure(args, database_url, queue, Path(work)))
    finally:
        _drop_postgres_database(database_url)
        if args.source == "pika":
            drop_queue(queue)


if __name__ == "__main__":
    main()

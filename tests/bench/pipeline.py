"""`make bench-pipeline`: the delay from a citizen's message to the console.

Rasa's own broker (PikaEventBroker to the local RabbitMQ, or SQLEventBroker
with `--source sql`) publishes 1,000 turns as Rasa does (the user's message,
the bot's action, its answer, action_listen), each stamped with the current
time, while `python -m backend consume` runs on a fresh PostgreSQL database.
A reader polls live_events every 5 ms, as the console's event stream does,
and takes for each user message the time from the event's timestamp to the
moment its live event is visible. Prints p50, p90, p99 and max in ms, and
the throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from backend import live, migrate
from lapor.db import create_engine
from tests import servers
from tests.conftest import _create_postgres_database, _drop_postgres_database


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


async def watch(database_url: str, expected: int, timeout: float) -> List[float]:
    engine = create_engine(database_url)
    delays: List[float] = []
    last = await live.latest_id(engine)
    deadline = time.monotonic() + timeout
    try:
        while len(delays) < expected and time.monotonic() < deadline:
            for event in await live.after(engine, last):
                last = event.id
                if event.topic == "conversation" and event.data.get("kind") == "user":
                    at = datetime.fromisoformat(event.data["at"]).timestamp()
                    delays.append(time.time() - at)
            await asyncio.sleep(0.005)
    finally:
        await engine.dispose()
    return delays


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
    try:
        await asyncio.sleep(3)  # the consumer up and declared the queue
        started = time.perf_counter()
        watcher = asyncio.create_task(watch(database_url, args.messages, args.timeout))
        sent = await publish(args, queue, events_db)
        delays = await watcher
        elapsed = time.perf_counter() - started
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(timeout=30)
    report(args, delays, sent, elapsed)


def report(args: argparse.Namespace, delays: List[float], sent: float, elapsed: float) -> None:
    ms = sorted(d * 1000 for d in delays)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [0.0] * 99
    print(
        f"pipeline ({args.source}): {len(ms)}/{args.messages} messages seen, "
        f"sent at {args.messages / sent:.0f} msg/s ({4 * args.messages / sent:.0f} events/s)"
    )
    if ms:
        print(
            f"delay message -> console: p50={q[49]:.1f}ms p90={q[89]:.1f}ms "
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
    database_url = _create_postgres_database()
    queue = f"bench_pipeline_{uuid.uuid4().hex[:8]}"
    try:
        migrate.upgrade(database_url)
        with tempfile.TemporaryDirectory() as work:
            asyncio.run(measure(args, database_url, queue, Path(work)))
    finally:
        _drop_postgres_database(database_url)
        if args.source == "pika":
            from tests.test_pipeline_e2e import delete_queue

            asyncio.run(delete_queue(queue))


if __name__ == "__main__":
    main()

"""`make bench-voice`: how fast a 112 call reaches the operators' consoles.

A backend on a fresh PostgreSQL database answers the 112 number's webhooks
(signed as Twilio signs them, tests/voice_line.py); K operators are on
shift with the incidents stream open (/console/events, topic "incident",
as the call queue page listens). N simulated callers ring at the same
moment, a third each speaking, pressing a key, and staying silent and then
pressing 55 (one webhook more). Each caller answers at once: the time a
real caller takes to speak is theirs, not the system's.

Measured per call and per console: the call's first webhook (its arrival)
-> the incident's alert read from the console's stream; and the webhook
that queued it -> the alert. Prints p50/p95/p99/max in ms and p99 against
the goal (under one second). Server logs: var/bench/voice/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

import aiohttp
from sqlalchemy import select

from backend.tables import incidents
from lapor.db import create_engine
from lapor.paths import REPO_ROOT
from tests import servers
from tests.bench.emergency import Operator, line, p99, sign_in
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.fake_twilio import FakeTwilio
from tests.voice_line import SILENCE, Caller, Outcome, Post, http_post, presses, says, server_env

GOAL_MS = 1000.0
LOGS = REPO_ROOT / "var" / "bench" / "voice"


@dataclass
class Timed:
    caller: Caller
    arrived: float = 0.0  # the first webhook sent
    queued: float = 0.0  # the webhook that put the caller in the queue sent
    outcome: Outcome | None = None
    requests: List[float] = field(default_factory=list)  # each webhook's answer time, ms


@dataclass
class Consoles:
    heard: List[Dict[int, float]] = field(default_factory=list)  # per console: incident -> time
    tasks: List["asyncio.Future[None]"] = field(default_factory=list)

    async def open(self, http: aiohttp.ClientSession, url: str, operators: List[Operator]) -> None:
        ready = [asyncio.Event() for _ in operators]
        for index, operator in enumerate(operators):
            self.heard.append({})
            self.tasks.append(
                asyncio.ensure_future(self._listen(http, url, operator, index, ready[index]))
            )
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 30)

    async def _listen(
        self,
        http: aiohttp.ClientSession,
        url: str,
        operator: Operator,
        index: int,
        ready: asyncio.Event,
    ) -> None:
        async with http.get(
            f"{url}/console/events?topics=incident", headers=operator.headers()
        ) as stream:
            stream.raise_for_status()
            ready.set()
            async for raw in stream.content:
                text = raw.decode()
                if text.startswith("data: "):
                    data = json.loads(text[len("data: ") :])
                    if data.get("change") == "created":
                        self.heard[index].setdefault(int(data["incident_id"]), time.time())


def callers(count: int, round_: int) -> List[Timed]:
    scripts = [[says("tolong ada kebakaran di pasar")], [presses("1")], [SILENCE, presses("55")]]
    return [Timed(Caller(f"+62813{round_:02d}{n:05d}", list(scripts[n % 3]))) for n in range(count)]


async def ring(post: Post, timed: Timed) -> None:
    """The call as tests/voice_line.py places it, timing its first and its last webhook."""

    async def timed_post(path: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
        now = time.time()
        timed.arrived = timed.arrived or now
        timed.queued = now
        answer = await post(path, body, headers)
        timed.requests.append((time.time() - now) * 1000)
        return answer

    timed.outcome = await timed.caller.ring(timed_post)


async def measure(args: argparse.Namespace, url: str, database_url: str) -> Dict[str, List[float]]:
    operators = [await sign_in(database_url, f"operator{n}") for n in range(args.consoles)]
    samples: Dict[str, List[float]] = {"arrival": [], "queued": [], "webhook": []}
    post = http_post(url)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http:
        consoles = Consoles()
        await consoles.open(http, url, operators)
        await ring(post, callers(1, 99)[0])  # warm-up (connections, first queries): not counted
        for round_ in range(args.rounds):
            batch = callers(args.calls, round_)
            await asyncio.gather(*(ring(post, t) for t in batch))
            await asyncio.sleep(args.settle)
            ids = await _incident_ids(database_url)
            for timed in batch:
                samples["webhook"].extend(timed.requests)
                incident_id = ids.get(f"call-{timed.caller.sid}")
                for heard in consoles.heard:
                    at = heard.get(incident_id or -1)
                    if at is None:
                        raise SystemExit(f"call {timed.caller.sid} never reached a console")
                    samples["arrival"].append((at - timed.arrived) * 1000)
                    samples["queued"].append((at - timed.queued) * 1000)
    await post.close()  # type: ignore[attr-defined]
    return samples


async def _incident_ids(database_url: str) -> Dict[str, int]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(incidents.c.key, incidents.c.id))).all()
        return {row.key: row.id for row in rows}
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="concurrent calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--consoles", type=int, default=2, help="operator consoles listening")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait for alerts")
    parser.add_argument("--workers", type=int, default=1, help="backend worker processes")
    args = parser.parse_args()
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    twilio = FakeTwilio().start()
    database_url = _create_postgres_database()
    try:
        env = {**twilio.env(), **server_env(), "BACKEND_WORKERS": str(args.workers)}
        with servers.backend(database_url, Path(LOGS), extra_env=env) as backend:
            samples = asyncio.run(measure(args, backend.url, database_url))
    finally:
        _drop_postgres_database(database_url)
    print(
        f"112 call -> operator console: {args.rounds} rounds of {args.calls} concurrent calls "
        f"(speech, a key, silent then 55), {args.consoles} consoles, "
        f"{args.workers} backend worker(s); "
        "one sample per call and console"
    )
    print(line("arrival", samples["arrival"], 8) + "   (first webhook -> alert on the console)")
    print(line("queued", samples["queued"], 8) + "   (webhook that queued it -> alert)")
    print(line("webhook", samples["webhook"], 8) + "   (each webhook's answer to Twilio)")
    worst = p99(samples["arrival"])
    verdict = "met" if worst < GOAL_MS else "MISSED"
    print(f"  goal: p99 under {GOAL_MS:.0f} ms: {verdict} (p99/goal = {worst / GOAL_MS:.2f})")


if __name__ == "__main__":
    main()

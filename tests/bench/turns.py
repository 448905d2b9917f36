"""Simulated citizens over Rasa's REST channel, and what their turns cost.

Shared by `make bench`'s load levels and its long conversation (tests/bench/load.py).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import List, Sequence

import aiohttp

from tests import servers

# One complaint, filed and confirmed: what most of our traffic looks like.
COMPLAINT = [
    "lampu jalan di gang 3 Bandar Lor mati sejak kemarin",
    "lewati",  # the pole number
    "lewati",  # the photo
    "ya",
]
# rasa init's bot, its own short conversation.
STOCK = ["hello", "I am sad", "yes"]
STATUS = "cek status laporan saya"


@dataclass
class Result:
    """The turns of one load run: each turn's latency in seconds."""

    name: str
    users: int
    seconds: float = 0.0
    latencies: List[float] = field(default_factory=list)
    errors: int = 0

    @property
    def turns(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def quantile(self, q: int) -> float:
        """The q-th percentile latency in seconds (q in 1..99)."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]

    def line(self) -> str:
        return (
            f"{self.name:<10} users={self.users:3d} turns={self.turns:5d} errors={self.errors:3d} "
            f"turns/s={self.throughput:6.1f} p50={self.quantile(50) * 1000:7.1f}ms "
            f"p95={self.quantile(95) * 1000:7.1f}ms p99={self.quantile(99) * 1000:7.1f}ms"
        )


async def say(session: aiohttp.ClientSession, url: str, sender: str, message: str) -> bool:
    """One turn: the citizen's message, answered (True) or failed."""
    try:
        async with session.post(
            f"{url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            headers=servers.REST_HEADERS,
        ) as response:
            answers = await response.json(content_type=None)
            return response.status == 200 and bool(answers)
    except (aiohttp.ClientError, ValueError):
        return False


async def timed_say(
    session: aiohttp.ClientSession, url: str, sender: str, message: str
) -> tuple[float, bool]:
    start = time.perf_counter()
    ok = await say(session, url, sender, message)
    return time.perf_counter() - start, ok


async def citizen(
    session: aiohttp.ClientSession,
    url: str,
    script: Sequence[str],
    rounds: int,
    out: Result,
    think: float = 0.0,
) -> None:
    """`rounds` conversations, each by a new citizen who, with `think` > 0,
    takes between half and one and a half times `think` seconds to write
    each next message (0: the next message goes as soon as the answer came).
    Citizens who write do not all start in the same instant either."""
    if think:
        await asyncio.sleep(random.uniform(0, think))
    for _ in range(rounds):
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for message in script:
            latency, ok = await timed_say(session, url, sender, message)
            out.latencies.append(latency)
            out.errors += not ok
            if think:
                await asyncio.sleep(think * random.uniform(0.5, 1.5))


def rounds_for(users: int, script: Sequence[str], rounds: int, min_turns: int = 100) -> int:
    """At least `rounds` conversations per citizen and `min_turns` turns in all,
    so that one citizen alone still gives a p95 worth reading."""
    return max(rounds, -(-min_turns // (users * len(script))))


async def load(
    name: str, url: str, script: Sequence[str], users: int, rounds: int, think: float = 0.0
) -> Result:
    result = Result(name, users)
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await citizen(session, url, script, 1, Result("warm-up", 1))
        start = time.perf_counter()
        await asyncio.gather(
            *(citizen(session, url, script, rounds, result, think) for _ in range(users))
        )
        result.seconds = time.perf_counter() - start
    return result


def long_script(turns: int) -> List[str]:
    """One citizen's conversation of `turns` turns: complaints about different
    places, each followed by a status check (every fifth turn)."""
    places = ["Bandar Lor", "Mojoroto", "Semampir", "Banjaran", "Pakelan", "Ngronggo"]
    script: List[str] = []
    while len(script) < turns:
        place = places[(len(script) // 5) % len(places)]
        script += [f"lampu jalan di gang {len(script) % 9 + 1} {place} mati", "lewati"]
        script += ["lewati", "ya", STATUS]
    return script[:turns]


async def long_conversation(url: str, turns: int) -> List[float]:
    """Each turn's latency (seconds) of one long conversation, in order."""
    sender = f"bench-long-{uuid.uuid4().hex[:8]}"
    latencies: List[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for message in long_script(turns):
            latency, ok = await timed_say(session, url, sender, message)
            if not ok:
                raise RuntimeError(f"turn {len(latencies) + 1} ({message!r}) was not answered")
            latencies.append(latency)
    return latencies


def status_turns_near(latencies: Sequence[float], turn: int, window: int = 15) -> List[float]:
    """The status checks' latencies (every fifth turn) within `window` turns of
    `turn` (1-based): like is compared with like along the conversation."""
    return [
        latencies[n - 1]
        for n in range(max(5, turn - window), min(len(latencies), turn + window) + 1)
        if n % 5 == 0
    ]

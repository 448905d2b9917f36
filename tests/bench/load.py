"""`make bench`: simulated citizens over the REST channel, against our bot and,
in the same run on the same machine, against a stock `rasa init` bot.

Prints turns per second and p50/p95/p99 turn latency for both, and the ratio:
the stock bot (no custom actions, no backend) is Rasa's own floor here.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

import aiohttp

from tests import servers
from tests.model import trained_model

# One complaint, filed and confirmed: what most of our traffic looks like.
OUR_SCRIPT = [
    "lampu jalan di gang 3 Bandar Lor mati sejak kemarin",
    "lewati",  # the pole number
    "lewati",  # the photo
    "ya",
]
STOCK_SCRIPT = ["hello", "I am sad", "yes"]
STOCK_DIR = servers.REPO_ROOT / "var" / "bench" / "stock-bot"


@dataclass
class Result:
    name: str
    turns: int
    seconds: float
    latencies: List[float]
    errors: int

    def line(self) -> str:
        q = statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else [0] * 99
        return (
            f"{self.name:<12} turns={self.turns:5d} errors={self.errors:3d} "
            f"turns/s={self.turns / self.seconds:7.1f} "
            f"p50={q[49] * 1000:7.1f}ms p95={q[94] * 1000:7.1f}ms p99={q[98] * 1000:7.1f}ms"
        )


async def citizen(
    session: aiohttp.ClientSession, url: str, script: Sequence[str], rounds: int, out: Result
) -> None:
    for _ in range(rounds):
        sender = f"bench-{uuid.uuid4().hex[:12]}"  # a new citizen each round
        for message in script:
            start = time.perf_counter()
            try:
                async with session.post(
                    f"{url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": message},
                    headers=servers.REST_HEADERS,
                ) as response:
                    await response.read()
                    ok = response.status == 200
            except aiohttp.ClientError:
                ok = False
            out.latencies.append(time.perf_counter() - start)
            out.turns += 1
            out.errors += not ok


async def load(name: str, url: str, script: Sequence[str], users: int, rounds: int) -> Result:
    result = Result(name, 0, 0.0, [], 0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await citizen(session, url, script, 1, Result("warm-up", 0, 0, [], 0))
        start = time.perf_counter()
        await asyncio.gather(*(citizen(session, url, script, rounds, result) for _ in range(users)))
        result.seconds = time.perf_counter() - start
    return result


def stock_model() -> Path:
    """`rasa init`'s bot, trained once and kept under var/bench/."""
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    STOCK_DIR.mkdir(parents=True, exist_ok=True)
    print("training the stock `rasa init` bot once (kept in var/bench/)...", flush=True)
    subprocess.run(
        [
            str(servers.REPO_ROOT / ".venv" / "bin" / "rasa"),
            "init",
            "--no-prompt",
            "--init-dir",
            str(STOCK_DIR),
        ],
        cwd=STOCK_DIR,
        env=servers.base_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return sorted((STOCK_DIR / "models").glob("*.tar.gz"))[-1]


def run_ours(users: int, rounds: int, logs: Path) -> Result:
    database = f"sqlite:///{logs / 'bench.sqlite3'}"
    # Each simulated citizen files reports: lift the per-account hourly limit.
    with servers.backend(database, logs, extra_env={"MAX_TICKETS_PER_HOUR": "0"}) as backend:
        env = servers.actions_env(backend.url, logs)
        with (
            servers.action_server(env, logs) as actions,
            servers.rasa_server(trained_model(), actions.url, logs) as rasa,
        ):
            return asyncio.run(load("lapor-bot", rasa.url, OUR_SCRIPT, users, rounds))


def run_stock(users: int, rounds: int, logs: Path) -> Result:
    with servers.rasa_server(stock_model(), "http://127.0.0.1:9", logs) as rasa:
        return asyncio.run(load("rasa-init", rasa.url, STOCK_SCRIPT, users, rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20, help="concurrent citizens")
    parser.add_argument("--rounds", type=int, default=5, help="conversations per citizen")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        print(f"{args.users} concurrent citizens x {args.rounds} conversations x 3 turns")
        ours = run_ours(args.users, args.rounds, logs)
        print(ours.line(), flush=True)
        stock = run_stock(args.users, args.rounds, logs)
        print(stock.line())
    ratio = (ours.turns / ours.seconds) / (stock.turns / stock.seconds)
    p95 = statistics.quantiles(ours.latencies, n=100)[94]
    p95_stock = statistics.quantiles(stock.latencies, n=100)[94]
    print(f"throughput ratio (ours / rasa init): {ratio:.2f}; p95 ratio: {p95 / p95_stock:.2f}")


if __name__ == "__main__":
    main()

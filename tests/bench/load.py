"""`make bench`: simulated citizens over the REST channel, against our bot and,
in the same run on the same machine, against a stock `rasa init` bot.

Ours runs as `make run` runs it: backend, action server, Rasa server and the
conversation pipeline's consumer, started together. For 1, 10, 20 and 50
concurrent citizens it prints turns per second and p50/p95/p99 turn latency of
both bots and their ratios; then the cost of turn 5, 50 and 200 of one long
conversation, the Rasa server's memory and how long the stack took to answer
its first message. The stock bot (no custom actions, no backend) is Rasa's
own floor here. docs/performance.md reads the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import aiohttp

from tests import servers
from tests.bench.turns import (
    COMPLAINT,
    STOCK,
    Result,
    load,
    long_conversation,
    rounds_for,
    say,
    status_turns_near,
)
from tests.model import trained_model

STOCK_DIR = servers.REPO_ROOT / "var" / "bench" / "stock-bot"
RASA = str(servers.REPO_ROOT / ".venv" / "bin" / "rasa")
LEVELS = (1, 10, 20, 50)
# Citizens chatting at once, each taking THINK seconds on average to write the
# next message: the latency goals are about them (a flood of messages sent
# with no pause at all is what the levels above measure).
PACED = 20
THINK = 3.0
CHECKPOINTS = (5, 50, 200)
GB = 1024**3


@dataclass
class Bot:
    """One bot's figures."""

    name: str
    results: List[Result] = field(default_factory=list)
    rss: int = 0  # bytes, the Rasa server's resident memory after the load
    peak_rss: int = 0
    ready_seconds: float = 0.0
    long_turns: Dict[int, float] = field(default_factory=dict)  # checkpoint -> median s
    paced: Optional[Result] = None  # citizens who take time to write

    def at(self, users: int) -> Result:
        return next(r for r in self.results if r.users == users)


def stock_model() -> Path:
    """`rasa init`'s bot, trained once and kept under var/bench/."""
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    STOCK_DIR.mkdir(parents=True, exist_ok=True)
    print("training the stock `rasa init` bot once (kept in var/bench/)...", flush=True)
    subprocess.run(
        [RASA, "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
        cwd=STOCK_DIR,
        env=servers.base_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return sorted((STOCK_DIR / "models").glob("*.tar.gz"))[-1]


def memory(pid: int) -> tuple[int, int]:
    """A process's resident and peak resident memory, in bytes."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    kib = lambda name: int(fields[name].split()[0]) * 1024  # noqa: E731
    return kib("VmRSS"), kib("VmHWM")


@contextmanager
def our_stack(
    logs: Path, bot: Bot, action_url: Callable[[str], str] = str
) -> Iterator[servers.Server]:
    """Backend, action server, Rasa and the consumer started together, as
    `make run` starts them; `bot.ready_seconds` is the time until the first
    message is answered. `action_url` gives the address Rasa calls for the
    action server's (tests/bench/trace.py puts its recorder between them)."""
    database = f"sqlite:///{logs / 'bench.sqlite3'}"
    from backend import migrate

    migrate.upgrade(database)  # `make run` migrates before it starts the servers
    backend_port, actions_port, rasa_port = (servers.free_port() for _ in range(3))
    backend_url = f"http://127.0.0.1:{backend_port}"
    action_env = servers.actions_env(backend_url, logs)
    model = trained_model()
    with ExitStack() as stack:
        started = time.perf_counter()
        with ThreadPoolExecutor(3) as pool:
            # Each simulated citizen files reports: lift the per-account hourly limit.
            backend = pool.submit(
                servers.start_backend,
                database,
                logs,
                extra_env={"MAX_TICKETS_PER_HOUR": "0"},
                port=backend_port,
            )
            actions = pool.submit(
                servers.start,
                "actions",
                [servers.PYTHON, "-m", "actions", "--port", str(actions_port)],
                actions_port,
                servers.base_env(**action_env),
                logs,
                "/health",
                90,
            )
            rasa_cm = servers.rasa_server(
                model, action_url(f"http://127.0.0.1:{actions_port}"), logs, port=rasa_port
            )
            rasa = pool.submit(stack.enter_context, rasa_cm)
            consumer = servers.rasa_events_consumer(database, logs, rasa_port)
            for server in (backend.result(), actions.result()):
                stack.callback(server.stop)
            stack.callback(consumer.terminate)
            rasa_server = rasa.result()
        asyncio.run(_first_answer(rasa_server.url))
        bot.ready_seconds = time.perf_counter() - started
        yield rasa_server


async def _first_answer(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        if not await say(session, url, "bench-first", COMPLAINT[0]):
            raise RuntimeError("the first message was not answered")


def run_levels(bot: Bot, url: str, script: Sequence[str], args: argparse.Namespace) -> None:
    for users in args.levels:
        rounds = rounds_for(users, script, args.rounds)
        result = asyncio.run(load(bot.name, url, script, users, rounds))
        bot.results.append(result)
        print(result.line(), flush=True)
    if args.think:
        bot.paced = asyncio.run(load(bot.name, url, script, PACED, args.rounds, args.think))
        print(f"{bot.paced.line()} (writing {args.think:g} s)", flush=True)


def run_ours(args: argparse.Namespace, logs: Path) -> Bot:
    bot = Bot("lapor-bot")
    with our_stack(logs, bot) as rasa:
        print(f"lapor-bot: ready to answer {bot.ready_seconds:.1f} s after start", flush=True)
        run_levels(bot, rasa.url, COMPLAINT, args)
        long_turns: List[List[float]] = [
            asyncio.run(long_conversation(rasa.url, max(CHECKPOINTS) + 15))
            for _ in range(args.long)
        ]
        for checkpoint in CHECKPOINTS if long_turns else ():
            near = [x for turns in long_turns for x in status_turns_near(turns, checkpoint)]
            bot.long_turns[checkpoint] = statistics.median(near)
        print(
            "long conversation (status checks, median ms): "
            + (", ".join(f"turn {n}: {s * 1000:.0f}" for n, s in bot.long_turns.items()) or "-"),
            flush=True,
        )
        bot.rss, bot.peak_rss = memory(rasa.process.pid)
        print(f"lapor-bot: Rasa server RSS {bot.rss / GB:.2f} GB, peak {bot.peak_rss / GB:.2f}")
    return bot


@contextmanager
def stock_server(logs: Path) -> Iterator[servers.Server]:
    """`rasa run` as `rasa init` left it: its own endpoints (in-memory tracker
    store, no event broker, no action server) and channels (REST)."""
    model = stock_model()
    port = servers.free_port()
    arguments = ["run", "--model", str(model), "--port", str(port), "--enable-api"]
    arguments += ["--endpoints", str(STOCK_DIR / "endpoints.yml")]
    arguments += ["--credentials", str(STOCK_DIR / "credentials.yml")]
    server = servers.start("stock", [RASA, *arguments], port, servers.base_env(), logs, "/", 240)
    try:
        yield server
    finally:
        server.stop()


def run_stock(args: argparse.Namespace, logs: Path) -> Bot:
    bot = Bot("rasa-init")
    stock_model()  # trained once, before the clock starts
    started = time.perf_counter()
    with stock_server(logs) as rasa:
        bot.ready_seconds = time.perf_counter() - started
        run_levels(bot, rasa.url, STOCK, args)
        bot.rss, bot.peak_rss = memory(rasa.process.pid)
    return bot


def report(ours: Bot, stock: Bot, levels: Sequence[int]) -> None:
    print(
        "\nusers | ours turns/s  p95 ms  p99 ms | stock turns/s  p95 ms "
        "| throughput ratio  p95 ratio"
    )
    for users in levels:
        a, b = ours.at(users), stock.at(users)
        print(
            f"{users:5d} | {a.throughput:12.1f} {a.quantile(95) * 1000:7.0f} "
            f"{a.quantile(99) * 1000:7.0f} | {b.throughput:13.1f} {b.quantile(95) * 1000:7.0f} | "
            f"{a.throughput / b.throughput:16.2f} {a.quantile(95) / b.quantile(95):10.2f}"
        )
    if ours.paced and stock.paced:
        a, b = ours.paced, stock.paced
        print(
            f"\n{PACED} citizens writing: ours p95 {a.quantile(95) * 1000:.0f} ms, "
            f"p99 {a.quantile(99) * 1000:.0f} ms; stock p95 {b.quantile(95) * 1000:.0f} ms, "
            f"p99 {b.quantile(99) * 1000:.0f} ms; p95 ratio {a.quantile(95) / b.quantile(95):.2f}"
        )
    if ours.long_turns:
        first = ours.long_turns[CHECKPOINTS[0]]
        print(
            "\nlong conversation (status checks, median ms): "
            + ", ".join(f"turn {n}: {s * 1000:.0f}" for n, s in ours.long_turns.items())
            + f"; turn {CHECKPOINTS[-1]} / turn {CHECKPOINTS[0]}: "
            f"{ours.long_turns[CHECKPOINTS[-1]] / first:.2f}"
        )
    print(
        f"Rasa server RSS after the load: ours {ours.rss / GB:.2f} GB "
        f"(peak {ours.peak_rss / GB:.2f}), stock {stock.rss / GB:.2f} GB "
        f"(peak {stock.peak_rss / GB:.2f})"
    )
    print(
        f"ready to answer after start: ours {ours.ready_seconds:.1f} s (whole stack), "
        f"stock {stock.ready_seconds:.1f} s (Rasa alone)"
    )
    _goals(ours, stock)


def _goals(ours: Bot, stock: Bot) -> None:
    print("\ngoals (issue 19):")
    if 20 in (r.users for r in ours.results):
        a, b = ours.at(20), stock.at(20)
        _goal("throughput at 20 citizens, x stock", a.throughput / b.throughput, ">=", 1.0)
        _goal("p95 at 20 citizens, no pause, ms", a.quantile(95) * 1000, "<=", 500)
        _goal("p99 at 20 citizens, no pause, ms", a.quantile(99) * 1000, "<=", 1000)
    if ours.paced:
        _goal(f"p95 at {PACED} citizens writing, ms", ours.paced.quantile(95) * 1000, "<=", 500)
        _goal(f"p99 at {PACED} citizens writing, ms", ours.paced.quantile(99) * 1000, "<=", 1000)
    turns = ours.long_turns
    if turns:
        _goal("turn 200 / turn 5", turns[CHECKPOINTS[-1]] / turns[CHECKPOINTS[0]], "<=", 1.2)
    _goal("Rasa server RSS, GB", ours.peak_rss / GB, "<=", 1.0)
    _goal("ready to answer, s", ours.ready_seconds, "<=", 30)


def _goal(name: str, value: float, sense: str, goal: float) -> None:
    met = value >= goal if sense == ">=" else value <= goal
    print(f"  {name:<38} {value:8.2f}  goal {sense} {goal:g}: {'met' if met else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--levels",
        type=lambda s: tuple(int(x) for x in s.split(",")),
        default=LEVELS,
        help="concurrent citizens, comma-separated (default 1,10,20,50)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="conversations per citizen")
    parser.add_argument("--long", type=int, default=2, help="long conversations (215 turns)")
    parser.add_argument(
        "--think", type=float, default=THINK, help="seconds paced citizens take to write (0: skip)"
    )
    parser.add_argument("--no-stock", action="store_true", help="skip the stock bot")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        print(
            f"{'/'.join(map(str, args.levels))} concurrent citizens x >= {args.rounds} "
            f"conversations: ours {len(COMPLAINT)} turns each, stock {len(STOCK)}",
            flush=True,
        )
        ours = run_ours(args, logs)
        if args.no_stock:
            return
        stock = run_stock(args, logs)
    report(ours, stock, args.levels)


if __name__ == "__main__":
    main()

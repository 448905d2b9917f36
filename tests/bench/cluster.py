"""`make bench-cluster`: one replica of every process vs two, behind HAProxy.

The same topology both times (scripts/cluster.py, as `make run-cluster` starts
it: HAProxy, Redis tracker and lock stores, RabbitMQ and the consumers), so
the only difference is the number of replicas. Citizens file complaints over
Rasa's REST channel through HAProxy: flooding (the next message as soon as
the answer came) at each level, and 20 citizens who write (THINK seconds per
message). Prints turns/s, p50/p95/p99 and the ratios two / one.

    python -m tests.bench.cluster [--levels 10 20 50] [--rounds 2] [--think 3]

On this machine (2 cores) every process of both replicas shares the same two
cores: the figure says what a second replica buys when the machine is the
limit, not what two machines give.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Dict, List

from sqlalchemy import func, select

from backend.tables import conversation_events
from tests.bench.turns import COMPLAINT, Result, load, rounds_for
from tests.cluster.harness import Cluster, running_cluster
from tests.fake_twilio import FakeTwilio

PACED = 20
TICKS = os.sysconf("SC_CLK_TCK")
MIN_TURNS = 800


def measure(replicas: int, args: argparse.Namespace, twilio: FakeTwilio) -> List[Result]:
    results: List[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-cluster-") as folder,
        running_cluster(Path(folder), twilio, replicas=replicas) as cluster,
    ):
        url = cluster.front("rasa")
        name = f"{replicas} replica" + ("s" if replicas > 1 else "")
        sent = 0
        for users in args.levels:
            # At least MIN_TURNS turns (about 20 s): shorter runs differ by more
            # than the replicas do.
            rounds = rounds_for(users, COMPLAINT, args.rounds, MIN_TURNS)
            before = cpu_seconds(cluster)
            result = asyncio.run(load(name, url, COMPLAINT, users, rounds))
            results.append(result)
            print(result.line(), flush=True)
            print(f"    {cpu_line(before, cpu_seconds(cluster), result.seconds)}", flush=True)
            # Each turn, warm-up included, is one citizen message in the log.
            sent += result.turns + len(COMPLAINT)
            print(f"    conversation log complete {log_lag(cluster, sent):.1f} s after the flood")
        if args.think:
            paced = asyncio.run(load(name, url, COMPLAINT, PACED, args.rounds, args.think))
            paced.users = -PACED  # marks the paced run in the table
            results.append(paced)
            print(f"{paced.line()} (writing {args.think:g} s)", flush=True)
            sent += paced.turns + len(COMPLAINT)
            print(f"    conversation log complete {log_lag(cluster, sent):.1f} s after the last")
    return results


def log_lag(cluster: Cluster, messages: int, timeout: float = 300) -> float:
    """Seconds until the pipeline has stored `messages` citizen messages."""
    started = time.monotonic()
    query = select(func.count()).where(conversation_events.c.kind == "user")
    while time.monotonic() - started < timeout:
        with cluster.engine.connect() as conn:
            if conn.execute(query).scalar_one() >= messages:
                break
        time.sleep(0.2)
    return time.monotonic() - started


def cpu_seconds(cluster: Cluster) -> Dict[str, float]:
    """CPU seconds used so far: the machine's (all cores, "machine") and each
    process kind's (rasa, actions, backend, consumer, haproxy), replicas summed."""
    used: Dict[str, float] = {}
    for name, process in cluster.processes.items():
        kind = name.split("-")[0]
        try:
            fields = Path(f"/proc/{process['pid']}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[kind] = used.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
    cpu = Path("/proc/stat").read_text().split("\n")[0].split()[1:]
    idle = int(cpu[3]) + int(cpu[4])
    used["machine"] = (sum(int(v) for v in cpu[:8]) - idle) / TICKS
    return used


def cpu_line(before: Dict[str, float], after: Dict[str, float], seconds: float) -> str:
    """Cores busy during the run: the machine's, then each kind of process."""
    busy = {k: (after.get(k, 0.0) - before.get(k, 0.0)) / seconds for k in after}
    kinds = sorted((k for k in busy if k != "machine"), key=lambda k: -busy[k])
    return f"cores busy: machine {busy['machine']:.2f} of {os.cpu_count()}; " + ", ".join(
        f"{k} {busy[k]:.2f}" for k in kinds
    )


def report(runs: Dict[int, List[Result]]) -> None:
    one, two = runs[1], runs[2]
    print("\ncitizens          | 1 replica turns/s  p95 ms | 2 replicas turns/s  p95 ms | ratios")
    for a, b in zip(one, two, strict=True):
        label = f"{-a.users} writing" if a.users < 0 else f"{a.users} flooding"
        print(
            f"{label:17} | {a.throughput:17.1f} {a.quantile(95) * 1000:7.0f} "
            f"| {b.throughput:18.1f} {b.quantile(95) * 1000:7.0f} "
            f"| throughput {b.throughput / a.throughput:.2f}x, "
            f"p95 {b.quantile(95) / a.quantile(95):.2f}x"
        )
    errors = sum(r.errors for r in one + two)
    print(f"unanswered turns: {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 20, 50])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--think", type=float, default=3.0, help="0: no paced run")
    args = parser.parse_args()
    twilio = FakeTwilio().start()
    runs = {replicas: measure(replicas, args, twilio) for replicas in (1, 2)}
    report(runs)


if __name__ == "__main__":
    main()

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
import tempfile
from pathlib import Path
from typing import Dict, List

from tests.bench.turns import COMPLAINT, Result, load, rounds_for
from tests.cluster.harness import running_cluster
from tests.fake_twilio import FakeTwilio

PACED = 20


def measure(replicas: int, args: argparse.Namespace, twilio: FakeTwilio) -> List[Result]:
    results: List[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-cluster-") as folder,
        running_cluster(Path(folder), twilio, replicas=replicas) as cluster,
    ):
        url = cluster.front("rasa")
        name = f"{replicas} replica" + ("s" if replicas > 1 else "")
        for users in args.levels:
            rounds = rounds_for(users, COMPLAINT, args.rounds)
            result = asyncio.run(load(name, url, COMPLAINT, users, rounds))
            results.append(result)
            print(result.line(), flush=True)
        if args.think:
            paced = asyncio.run(load(name, url, COMPLAINT, PACED, args.rounds, args.think))
            paced.users = -PACED  # marks the paced run in the table
            results.append(paced)
            print(f"{paced.line()} (writing {args.think:g} s)", flush=True)
    return results


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

"""How long the monev figures take on a year of data (issue 18).

Fills a fresh PostgreSQL database with a year of traffic (tests/bench/
monev_data.py: one million messages, 100,000 tickets, 5,000 incidents,
20,000 calls), starts the real backend, and times each dashboard view, the
CSV export of every table, the printed report and the public page, over 30
days and over the whole year, as a signed-in monev user's browser asks for
them. Goal: every view under 2 s.

    make bench-monev                 # generate, measure, drop the database
    make bench-monev SCALE=0.1       # a tenth of the data
    python -m tests.bench.monev --database-url postgresql://.../filled   # measure only
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import aiohttp

from backend.monev.views import TABLES, VIEWS
from lapor.paths import REPO_ROOT
from lapor.timeutil import WIB
from tests import servers
from tests.backend.console.helpers import signed_in
from tests.bench.monev_data import fill
from tests.conftest import _create_postgres_database, _drop_postgres_database

GOAL_MS = 2000.0
LOGS = REPO_ROOT / "var" / "bench-monev"
REPEATS = 3  # the first of each is cold (the database's cache): all are counted


def targets(today: date) -> List[Tuple[str, str]]:
    """(name, path) of everything timed, for 30 days and the whole year."""
    found: List[Tuple[str, str]] = []
    for days, label in ((30, "30 hari"), (365, "1 tahun")):
        query = f"dari={(today - timedelta(days=days - 1)).isoformat()}&sampai={today.isoformat()}"
        for key, title, _ in VIEWS:
            path = "/console/monev" + ("" if key == "ringkasan" else f"/{key}")
            found.append((f"{title} ({label})", f"{path}?{query}"))
        found.append((f"Laporan cetak ({label})", f"/console/monev/cetak?{query}"))
        found.append((f"/statistik ({label})", f"/statistik?{query}"))
        if days == 365:
            for name in TABLES:
                found.append((f"CSV {name} ({label})", f"/console/monev/csv/{name}?{query}"))
    return found


async def measure(url: str, database_url: str) -> Dict[str, List[float]]:
    # A new person each run: --database-url measures the same database again.
    me = await signed_in(database_url, f"monev-{uuid.uuid4().hex[:8]}", ["monev"])
    today = datetime.now(timezone.utc).astimezone(WIB).date()
    samples: Dict[str, List[float]] = {}
    async with aiohttp.ClientSession(headers=me.headers) as http:
        for name, path in targets(today):
            for _ in range(REPEATS):
                began = time.perf_counter()
                async with http.get(url + path) as response:
                    await response.read()
                    if response.status != 200:
                        raise SystemExit(f"{path}: HTTP {response.status}")
                samples.setdefault(name, []).append((time.perf_counter() - began) * 1000)
    return samples


def filled(database_url: str, scale: float) -> None:
    began = time.monotonic()
    counts = fill(database_url, scale, progress=lambda line: None)
    print(
        f"generated in {time.monotonic() - began:.0f} s: "
        + ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    )


def report(samples: Dict[str, List[float]]) -> None:
    width = max(len(name) for name in samples)
    print(f"{'view':{width}}  {'median ms':>9}  {'max ms':>8}  {'max/goal':>8}")
    worst = 0.0
    for name, ms in samples.items():
        worst = max(worst, max(ms))
        print(
            f"{name:{width}}  {statistics.median(ms):9.0f}  {max(ms):8.0f}"
            f"  {max(ms) / GOAL_MS:8.2f}"
        )
    met = worst < GOAL_MS
    print(
        f"goal: every view under {GOAL_MS:.0f} ms: {'met' if met else 'MISSED'} "
        f"(slowest {worst:.0f} ms, {worst / GOAL_MS:.2f} of the goal)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count")
    parser.add_argument("--database-url", help="an already filled database: measure only")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    args = parser.parse_args()
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    database_url: Optional[str] = args.database_url
    made = database_url is None
    if database_url is None:
        database_url = _create_postgres_database()
    try:
        if made:
            filled(database_url, args.scale)
        with servers.backend(database_url, Path(LOGS)) as backend:
            samples = asyncio.run(measure(backend.url, database_url))
    finally:
        if made and not args.keep:
            _drop_postgres_database(database_url)
        elif made:
            print(f"kept: --database-url {database_url}")
    print(
        f"monev on PostgreSQL, {args.scale:g} x a year of data; "
        f"{REPEATS} requests each (the first cold)"
    )
    report(samples)


if __name__ == "__main__":
    main()

"""`make soak`: mixed traffic with faults injected on a schedule, for a bounded time.

    python -m tests.soak [--minutes 10]      (or SOAK_MINUTES=10)

Starts the fault tests' stack (tests/faults/stack.py: backend on PostgreSQL,
action server, Rasa with the production endpoints on Redis, fake Twilio, a
proxy on every link), runs WhatsApp citizens, REST citizens and an Open311
client at once, and every --fault-every seconds breaks one link for
--fault-length seconds (backend, PostgreSQL, Redis, Twilio storms, slow
backend answers, PostgreSQL resets), in turn. Then it heals everything, lets
kept reports drain, and prints messages sent, tickets created, duplicates,
lost reports and 5xx answers. Exits 1 on any loss, duplicate or ticket number
given that does not exist.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from tests.fake_twilio import FakeTwilio
from tests.faults.stack import Stack, told_numbers
from tests.model import trained_model
from tests.soak.traffic import WORKERS, Report, Tally

# Redis databases of the soak's own (tracker, lock store, channel state).
REDIS_DBS = (7, 8, 9)
DRAIN_SECONDS = 120  # after the traffic: kept reports filed, their numbers told

Fault = Tuple[str, Callable[[Stack], None]]
FAULTS: List[Fault] = [
    ("backend cut", lambda s: s.backend_link.cut()),
    ("postgresql cut", lambda s: s.pg.cut()),
    ("redis cut", lambda s: s.redis.cut()),
    ("twilio 500 storm", lambda s: s.twilio.storm(8, status=500)),
    ("backend answers late", lambda s: s.backend_link.delay(2)),
    ("postgresql reset", lambda s: s.pg.reset()),
    ("twilio 429 storm", lambda s: s.twilio.storm(8, status=429, retry_after=1)),
    ("action server cut", lambda s: s.actions_link.cut()),
    # Takes no fault-length: over when the standby has taken over.
    ("rasa restart", lambda s: s.restart_rasa(respawn=True)),
]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument(
        "--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES") or 10)
    )
    parser.add_argument("--whatsapp", type=int, default=3, help="concurrent WhatsApp citizens")
    parser.add_argument("--rest", type=int, default=2, help="concurrent REST citizens")
    parser.add_argument("--api", type=int, default=1, help="concurrent Open311 clients")
    parser.add_argument("--model", type=Path, help="a trained model (default: trained if needed)")
    parser.add_argument("--fault-every", type=float, default=30.0, help="seconds")
    parser.add_argument("--fault-length", type=float, default=8.0, help="seconds")
    args = parser.parse_args(argv)

    model = args.model or trained_model()
    twilio = FakeTwilio().start()
    logs = Path(tempfile.mkdtemp(prefix="lapor-soak-"))
    print(f"soak: {args.minutes:g} min, logs in {logs}; starting the stack", flush=True)
    stack = Stack(model, twilio, logs, REDIS_DBS)
    try:
        tally = _traffic(stack, args)
        return _report(stack, tally)
    finally:
        stack.close()


def _traffic(stack: Stack, args: argparse.Namespace) -> Tally:
    tally, stop = Tally(), threading.Event()
    counts = {"whatsapp": args.whatsapp, "rest": args.rest, "api": args.api}
    threads = [
        threading.Thread(target=WORKERS[kind](stack, tally, stop).run, daemon=True)
        for kind, count in counts.items()
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    end = started + args.minutes * 60
    n = 0
    while time.monotonic() + args.fault_every < end:
        time.sleep(args.fault_every - args.fault_length)
        name, inject = FAULTS[n % len(FAULTS)]
        n += 1
        print(f"{time.monotonic() - started:6.0f}s fault: {name}", flush=True)
        inject(stack)
        time.sleep(args.fault_length)
        stack.restore_all()
        print(
            f"{time.monotonic() - started:6.0f}s healed; so far {tally.messages} messages, "
            f"{stack.ticket_count()} tickets, {tally.five_xx} 5xx",
            flush=True,
        )
    time.sleep(max(0.0, end - time.monotonic()))
    stop.set()
    print("traffic stopped; waiting for conversations to end", flush=True)
    for thread in threads:
        thread.join(timeout=300)
    _drain(stack, tally)
    return tally


def _drain(stack: Stack, tally: Tally) -> None:
    """Waits until every kept report was filed and every citizen heard the end."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        _read_conversations(stack, tally)
        if not [r for r in tally.reports if _untold(stack, r)]:
            return
        time.sleep(3)


def _read_conversations(stack: Stack, tally: Tally) -> None:
    delivered = stack.twilio.delivered()
    for report in tally.reports:
        if report.channel == "rest":
            with contextlib.suppress(OSError):  # Rasa away: keep what was read before
                texts = stack.bot_texts(report.identity)
                report.heard = [*report.replies, *(t for t in texts if t not in report.replies)]
        elif report.channel == "whatsapp":
            to = f"whatsapp:{report.identity}"
            report.heard = [m.get("Body", "") for m in delivered if m["To"] == to]


def _tickets(stack: Stack, report: Report) -> List[str]:
    if report.channel == "whatsapp":
        rows = stack.tickets_of_phone(report.identity)
    else:
        rows = stack.tickets_of_account(report.identity)
    return [row.service_request_id for row in rows]


def _untold(stack: Stack, report: Report) -> bool:
    """A ticket the citizen was not given the number of (yet)."""
    return bool(set(_tickets(stack, report)) - set(told_numbers(report.heard)))


def _report(stack: Stack, tally: Tally) -> int:
    _read_conversations(stack, tally)
    duplicates = lost = false_numbers = untold = 0
    for report in tally.reports:
        filed = _tickets(stack, report)
        told = set(told_numbers(report.heard))
        if len(filed) > 1:
            duplicates += 1
            print(f"DUPLICATE {report.channel} {report.identity}: {filed}")
        if report.promised and not filed:
            lost += 1
            print(f"LOST {report.channel} {report.identity}: heard {report.heard}")
        if told - set(filed):
            false_numbers += 1
            print(f"FALSE NUMBER {report.channel} {report.identity}: {told} vs {filed}")
        if set(filed) - told:
            untold += 1
            print(f"UNTOLD {report.channel} {report.identity}: {filed}; heard {report.heard}")
    confirmed = sum(r.confirmed for r in tally.reports)
    print(
        f"messages sent: {tally.messages}\n"
        f"reports started: {len(tally.reports)} (confirmed {confirmed})\n"
        f"tickets created: {stack.ticket_count()}\n"
        f"duplicates: {duplicates}\n"
        f"lost: {lost}\n"
        f"false ticket numbers: {false_numbers}\n"
        f"tickets whose number the citizen never got: {untold}\n"
        f"5xx: {tally.five_xx}\n"
        f"no answer (refused, timed out, 4xx): {tally.failures}"
    )
    return 1 if duplicates or lost or false_numbers else 0


if __name__ == "__main__":
    sys.exit(main())

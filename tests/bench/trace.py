"""`make bench-trace`: what each turn asks of the action server.

Starts the stack as `make bench` does, with a recording pass-through between
Rasa and the action server, and prints for each turn of one complaint, and
for the status checks at turns 5, 50 and 200 of a long conversation: how many
calls Rasa made, to which actions, the bytes it sent (the tracker, and the
domain where an action needs it) and got back, and the action server's time.
A separate command from `make bench`: the extra hop would bend its timings.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

import aiohttp
from aiohttp import web

from tests import servers
from tests.bench.load import Bot, our_stack
from tests.bench.turns import COMPLAINT, long_script, say


@dataclass(frozen=True)
class Call:
    action: str
    sent: int  # bytes Rasa sent
    received: int  # bytes the action server answered
    seconds: float  # the action server's time, as this hop saw it


class Tracer:
    """An HTTP pass-through to the action server that records every call."""

    def __init__(self) -> None:
        self.port = servers.free_port()
        self.target = ""
        self.calls: List[Call] = []
        self._loop = asyncio.new_event_loop()
        self._session: Optional[aiohttp.ClientSession] = None
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)

    def url_for(self, action_server_url: str) -> str:
        self.target = action_server_url
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/webhook", self._forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        action = str(json.loads(body).get("next_action"))
        headers = {k: v for k, v in request.headers.items() if k.lower() == "authorization"}
        headers["Content-Type"] = "application/json"
        assert self._session is not None
        start = time.perf_counter()
        async with self._session.post(
            f"{self.target}/webhook", data=body, headers=headers
        ) as answer:
            out, status = await answer.read(), answer.status
        self.calls.append(Call(action, len(body), len(out), time.perf_counter() - start))
        return web.Response(body=out, status=status, content_type="application/json")


async def _turns(url: str, sender: str, script: Sequence[str], tracer: Tracer) -> List[List[Call]]:
    per_turn: List[List[Call]] = []
    async with aiohttp.ClientSession() as session:
        for message in script:
            before = len(tracer.calls)
            if not await say(session, url, sender, message):
                raise RuntimeError(f"{message!r} was not answered")
            per_turn.append(tracer.calls[before:])
    return per_turn


def _line(label: str, calls: Sequence[Call]) -> str:
    names = ", ".join(c.action for c in calls) or "-"
    sent = sum(c.sent for c in calls) / 1024
    received = sum(c.received for c in calls) / 1024
    seconds = sum(c.seconds for c in calls) * 1000
    return (
        f"{label:<28} calls={len(calls)} sent={sent:6.1f} KB received={received:5.1f} KB "
        f"action server={seconds:5.1f} ms  [{names}]"
    )


def main() -> None:
    tracer = Tracer()
    with (
        tempfile.TemporaryDirectory() as tmp,
        our_stack(Path(tmp), Bot("lapor-bot"), tracer.url_for) as rasa,
    ):
        sender = f"bench-trace-{uuid.uuid4().hex[:8]}"
        complaint = asyncio.run(_turns(rasa.url, sender, COMPLAINT, tracer))
        print("one complaint:")
        for message, calls in zip(COMPLAINT, complaint, strict=True):
            print("  " + _line(repr(message)[:28], calls))
        script = long_script(215)
        sender = f"bench-trace-long-{uuid.uuid4().hex[:8]}"
        turns = asyncio.run(_turns(rasa.url, sender, script, tracer))
        print("a long conversation, its status checks:")
        for turn in (5, 50, 200):
            calls = turns[turn - 1]
            print("  " + _line(f"turn {turn}", calls))
        sent = [sum(c.sent for c in t) for t in turns if t]
        print(
            f"  per turn over the {len(turns)} turns: median sent "
            f"{statistics.median(sent) / 1024:.1f} KB, most {max(sent) / 1024:.1f} KB"
        )


if __name__ == "__main__":
    main()

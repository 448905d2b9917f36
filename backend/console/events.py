"""Live updates for console pages: Server-Sent Events at /console/events.

A page names the topics it wants (`?topics=conversation,ticket`); it hears
only events its person may hear (backend/live.py `audible_to`). Each event
carries its id: the browser's EventSource sends the last one back as
`Last-Event-ID` when it reconnects, and the stream replays what was missed,
from whichever replica it reaches (events are in the database). A page with
no id starts from now.
"""

from __future__ import annotations

import asyncio
import json
from typing import FrozenSet, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from backend import live, people
from backend.console import access, sessions
from backend.console.access import SIGNED_IN, page
from backend.context import context
from backend.emergency import shifts

bp = Blueprint("console_events", url_prefix="/console")

HEARTBEAT = 15.0  # seconds; well inside Sanic's response timeout and proxies' idle limits
RECHECK = 60.0  # seconds between checks that the session is still valid
RETRY_MS = 3000  # how long the browser waits before reconnecting


@page(bp, "/events", SIGNED_IN)
async def events(request: Request, person: people.Person) -> Optional[HTTPResponse]:
    topics = _topics(request.args.get("topics", ""))
    last_id = _resume_from(request)
    hub = _hub(request)
    if last_id is None:
        await hub.start()
        last_id = hub.newest_id
    response = await request.respond(
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    await response.send(f"retry: {RETRY_MS}\n\n")
    loop = asyncio.get_running_loop()
    checked = loop.time()
    # An operator's open console keeps their shift counted as on duty.
    on_shift = bool(person.roles & shifts.OPERATOR_ROLES)
    touched = -shifts.TOUCH_EVERY
    while True:
        if on_shift and loop.time() - touched >= shifts.TOUCH_EVERY:
            touched = loop.time()
            await shifts.touch(context(request).engine, person.id)
        batch = await hub.since(last_id, min(HEARTBEAT, shifts.TOUCH_EVERY))
        if not batch:
            await response.send(": still here\n\n")
        for event in batch:
            last_id = event.id
            if event.topic in topics and event.audible_to(person.roles, person.department_code):
                await response.send(_frame(event))
        if loop.time() - checked > RECHECK:
            checked = loop.time()
            if not await _still_signed_in(request):
                await response.send("event: signed-out\ndata: {}\n\n")
                await response.eof()
                return None


def _frame(event: live.LiveEvent) -> str:
    data = json.dumps({"at": event.at.isoformat(), **event.data}, ensure_ascii=False)
    return f"id: {event.id}\nevent: {event.topic}\ndata: {data}\n\n"


def _topics(raw: str) -> FrozenSet[str]:
    return frozenset(t for t in (p.strip() for p in raw.split(",")) if t and len(t) <= 64)


def _resume_from(request: Request) -> Optional[int]:
    raw = request.headers.get("last-event-id") or request.args.get("after")
    if raw and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


def _hub(request: Request) -> live.Hub:
    app = request.app
    if not hasattr(app.ctx, "live_hub"):
        app.ctx.live_hub = live.Hub(context(request).engine)
    hub: live.Hub = app.ctx.live_hub
    return hub


async def _still_signed_in(request: Request) -> bool:
    token = request.cookies.get(sessions.COOKIE, "")
    ctx = context(request)
    return await sessions.find(ctx.engine, token, access.lifetimes(request)) is not None

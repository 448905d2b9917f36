"""A 112 call's life in the database: arrived, sorted, queued, taken, ended.

Each webhook step is one transaction holding the call's change, the TwiML
it answered (voice_steps: a retried step gets the same answer and changes
nothing again) and, when the caller reaches the queue, the incident the
operators' consoles are alerted to (backend/emergency/incidents.py), so a
caller in the queue is never missing from the console.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Dict, Optional

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.emergency import incidents
from backend.tables import voice_callers, voice_calls, voice_steps
from backend.voice import flow
from backend.voice.line import Line
from lapor import channels
from lapor.contact import ContactCipher
from lapor.db import insert_ignoring
from lapor.privacy import mask_text
from lapor.timeutil import utcnow

GREETING, PROMPT, QUEUED, CONNECTING, CONNECTED, ENDING, ENDED = (
    "greeting",
    "prompt",
    "queued",
    "connecting",  # an operator took it: their desk phone is ringing
    "connected",
    "ending",  # a ghost call, hearing goodbye
    "ended",
)
VALID, INFORMATION, PRANK, GHOST = "valid", "information", "prank", "ghost"
CLASSES = (VALID, INFORMATION, PRANK, GHOST)
MAIN, PRANK_QUEUE = "main", "prank"
KIND = "emergency_call"  # the incident's kind until the operator names the emergency
# Twilio's CallStatus values that end a call.
FINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
MAX_SPEECH = 1000

_c = voice_calls.c


Step = Callable[[AsyncConnection, Any], Awaitable[str]]


async def step(
    engine: AsyncEngine, call_sid: str, name: str, act: Step, arrive: Optional[Dict] = None
) -> str:
    """Runs one webhook step of a call once; a retry gets the first answer.

    The call's row is locked for the step (PostgreSQL), so two deliveries of
    the same step cannot both act; `arrive` creates the row on the first webhook."""
    async with engine.begin() as conn:
        new = False
        if arrive is not None:
            created = await conn.execute(
                insert_ignoring(conn, voice_calls, "call_sid").values(arrive)
            )
            new = bool(created.rowcount)
        row = await _locked(conn, call_sid)
        if row is None:
            return ""  # a step of a call we never saw: nothing to act on
        if not new:  # a call just created has answered nothing yet
            done = await conn.execute(
                select(voice_steps.c.twiml).where(
                    voice_steps.c.call_sid == call_sid, voice_steps.c.step == name
                )
            )
            answered = done.scalar()
            if answered is not None:
                return str(answered)
        twiml = await act(conn, row)
        await conn.execute(
            insert(voice_steps).values(call_sid=call_sid, step=name, twiml=twiml, at=utcnow())
        )
        return twiml


def arrival(call_sid: str, number: str, cipher: ContactCipher, now: datetime) -> Dict[str, Any]:
    """The new call's row. The caller's pseudonym is their WhatsApp conversation's too."""
    known = number.startswith("+") and any(ch.isdigit() for ch in number)
    return {
        "call_sid": call_sid,
        # A withheld number ("anonymous") has no history and no WhatsApp.
        "caller": cipher.pseudonym(number) if known else f"anonymous:{call_sid}",
        "contact": cipher.seal(number) if known else None,
        "state": GREETING,
        "started_at": now,
    }


async def gathered(
    conn: AsyncConnection, row: Any, line: Line, heard: flow.Heard, now: datetime
) -> str:
    """The caller's answer to the greeting or to a silent prompt: the next TwiML."""
    if row.state not in (GREETING, PROMPT):
        return line.voice.empty()  # a late answer of a call that moved on
    played = row.prompts
    decision = (
        flow.after_greeting(heard, line.rules)
        if row.state == GREETING
        else flow.after_prompt(heard, played, line.rules)
    )
    heard_values = _heard(row, heard)  # written with the step's own change: one UPDATE
    if decision.next is flow.Next.QUEUE:
        assert decision.route is not None
        return await _enqueue(conn, row, line, decision.route, heard, now, heard_values)
    if decision.next is flow.Next.PROMPT:
        await _set(conn, row.id, state=PROMPT, prompts=played + 1, **heard_values)
        name = "silent" if played == 0 else "silent_again"
        return line.voice.ask(name, line.url(f"/gather?step=prompt-{played + 1}"), digits=2)
    message = message_fields(GHOST, now) if row.contact else {}
    await _set(conn, row.id, state=ENDING, **{"class": GHOST}, **message, **heard_values)
    return line.voice.goodbye("ghost_goodbye")


async def ended(conn: AsyncConnection, row: Any, status: str, now: datetime) -> None:
    """Twilio's last word on a call (its status callback)."""
    if row.state == ENDED:
        return
    values: Dict[str, Any] = {"state": ENDED, "ended_at": now, "end_status": status[:16]}
    if row.state in (GREETING, PROMPT, ENDING):
        # Never reached the queue: a ghost call (a hang-up in the greeting too).
        values["class"] = row._mapping["class"] or GHOST
        if row.message_state == "none" and row.contact:
            values.update(message_fields(GHOST, now))
    elif row.state == QUEUED and row.incident_id:
        values["dropped"] = True
        await incidents.record(conn, row.incident_id, "call_dropped", at=now)
        await incidents.announce(conn, row.incident_id)
    elif row.incident_id:
        await incidents.record(conn, row.incident_id, "call_ended", at=now)
        await incidents.announce(conn, row.incident_id)
    await _set(conn, row.id, **values)


async def _enqueue(
    conn: AsyncConnection,
    row: Any,
    line: Line,
    route: flow.Route,
    heard: flow.Heard,
    now: datetime,
    heard_values: Dict[str, Any],
) -> str:
    pranks = await prank_count(conn, row.caller, line.prank_period, now)
    flagged = pranks >= line.prank_limit
    report = incidents.Report(
        key=f"call-{row.call_sid}",
        kind=KIND,
        channel=channels.PHONE,
        conversation_id=row.caller,
        text=_what_was_heard(route, heard),
        received_at=row.started_at,
        contact=row.contact,
    )
    filed = await incidents.file_in(conn, report, now)
    data = {"route": route.value, "cannot_speak": route is flow.Route.SILENT, "pranks": pranks}
    await incidents.record(conn, filed.id, "call_queued", at=now, data=data)
    await _set(
        conn,
        row.id,
        state=QUEUED,
        route=route.value,
        queue=PRANK_QUEUE if flagged else MAIN,
        cannot_speak=route is flow.Route.SILENT,
        incident_id=filed.id,
        queued_at=now,
        **heard_values,
    )
    said: tuple[str, ...] = ("prank_warning",) if flagged else ()
    said += ("queued_silent",) if route is flow.Route.SILENT else ("queued",)
    queue = line.prank_queue if flagged else line.queue
    return line.voice.enqueue(said, queue, line.url("/wait"))


async def prank_count(conn: AsyncConnection, caller: str, period: timedelta, now: datetime) -> int:
    """Pranks of this number in the period, since a supervisor last cleared its flag."""
    cleared = (
        select(voice_callers.c.prank_cleared_at)
        .where(voice_callers.c.caller == caller)
        .scalar_subquery()
    )
    query = (
        select(func.count())
        .select_from(voice_calls)
        .where(
            _c.caller == caller,
            _c["class"] == PRANK,
            _c.started_at >= now - period,
            or_(cleared.is_(None), _c.started_at >= cleared),
        )
    )
    return int((await conn.execute(query)).scalar() or 0)


def _what_was_heard(route: flow.Route, heard: flow.Heard) -> str:
    if route is flow.Route.SILENT:
        return "Penelepon menekan 55: tidak bisa berbicara."
    if route is flow.Route.KEYS:
        return f"Penelepon menekan tombol {heard.digits}."
    return heard.speech


def _heard(row: Any, heard: flow.Heard) -> Dict[str, Any]:
    """The last thing heard (masked): the operator reads it; the review counts it."""
    values: Dict[str, Any] = {}
    if heard.speech:
        values.update(speech=mask_text(heard.speech[:MAX_SPEECH]), confidence=heard.confidence)
    if heard.digits:
        values["digits"] = ((row.digits or "") + heard.digits)[-32:]
    return values


def message_fields(kind: str, now: datetime) -> Dict[str, Any]:
    """The WhatsApp message a call leaves behind (backend/voice/messages.py sends it)."""
    return {"message_kind": kind, "message_state": "pending", "message_next_at": now}


async def _set(conn: AsyncConnection, call_id: int, **values: Any) -> None:
    await conn.execute(update(voice_calls).where(_c.id == call_id).values(**values))


async def _locked(conn: AsyncConnection, call_sid: str) -> Any:
    query = select(voice_calls).where(_c.call_sid == call_sid)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).first()

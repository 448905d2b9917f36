"""What an incident sends outside the database, queued in its transaction.

A message to the citizen (on the channel they wrote from), pausing or
resuming the bot in their Rasa conversation, and phone calls (an operator's
call-back bridged to the citizen; the duty supervisor's alarm). Each is a row
of incident_sends written with the change that caused it; the request that
made the change tries it at once (`flush`, so an operator's reply reaches the
citizen in well under a second), and every replica's worker retries what
failed, quickly at first: it is an emergency.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Optional
from xml.sax.saxutils import escape

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import live
from backend.emergency import shifts
from backend.emergency.texts import CALLBACK_INTRO
from backend.tables import incident_sends
from lapor import channels, jobs
from lapor.contact import ContactCipher, ContactError
from lapor.conversations import RasaConversations
from lapor.outbound import Message, Outbound, Recipient, Undeliverable
from lapor.timeutil import utcnow
from lapor.whatsapp.twilio import TwilioClient, TwilioError

logger = logging.getLogger(__name__)

PENDING, DONE, FAILED = "pending", "done", "failed"
# The incidents' live topic and who hears it (backend/emergency/incidents.py).
TOPIC = "incident"
ROLES = tuple(sorted(shifts.OPERATOR_ROLES))
MESSAGE, PAUSE, RESUME, CALL, CONNECT = "message", "pause", "resume", "call", "connect"
# About ten minutes of retries (2 s doubling to 30 s), then the row is failed and
# shown on the incident, for the operator to act on by phone.
MAX_ATTEMPTS = 25

queue = jobs.Queue(
    name="incident sends",
    table=incident_sends,
    waiting=lambda: incident_sends.c.state == PENDING,
    due=incident_sends.c.next_attempt_at,
    attempts=incident_sends.c.attempts,
    error=incident_sends.c.last_error,
    max_attempts=MAX_ATTEMPTS,
    dead=lambda: {"state": FAILED},
    backoff=jobs.Backoff(first=timedelta(seconds=2), most=timedelta(seconds=30)),
    lease=timedelta(seconds=30),
)


@dataclass(frozen=True)
class Senders:
    """The ways out, built once per process (backend/app.py)."""

    outbound: Outbound
    rasa: RasaConversations
    cipher: ContactCipher
    voice: Optional[TwilioClient] = None  # None: TWILIO_VOICE_FROM not set


class CannotSend(Exception):
    """Retrying cannot help (no channel, no number, no voice line)."""


# ---- queued in the caller's transaction ------------------------------------


async def message(
    conn: AsyncConnection, incident: Any, text: str, now: datetime, author: Optional[str] = None
) -> None:
    if incident.channel not in channels.REACHABLE:
        return  # a 112 call: the operator speaks to the caller on the phone
    payload = {"channel": incident.channel, "conversation_id": incident.conversation_key}
    await _queue(conn, incident.id, MESSAGE, {**payload, "text": text, "author": author}, now)


async def pause_bot(conn: AsyncConnection, incident: Any, now: datetime) -> None:
    if incident.channel not in channels.REACHABLE:
        return  # no bot on a phone call
    await _queue(conn, incident.id, PAUSE, {"conversation_id": incident.conversation_key}, now)


async def resume_bot(conn: AsyncConnection, incident: Any, now: datetime) -> None:
    if incident.channel not in channels.REACHABLE:
        return
    await _queue(conn, incident.id, RESUME, {"conversation_id": incident.conversation_key}, now)


async def bridge_call(conn: AsyncConnection, incident: Any, desk_phone: str, now: datetime) -> None:
    """Ring the operator's desk, then the citizen. The number stays sealed in the queue."""
    payload = {"to": desk_phone, "contact": incident.contact, "incident": incident.id}
    await _queue(conn, incident.id, CALL, payload, now)


async def alarm_call(
    conn: AsyncConnection, incident_id: int, phone: str, words: str, now: datetime
) -> None:
    await _queue(conn, incident_id, CALL, {"to": phone, "say": words}, now)


async def connect_call(
    conn: AsyncConnection, incident_id: int, call_sid: str, twiml: str, now: datetime
) -> None:
    """Take a queued 112 caller out of the queue, to the TwiML's operator phone."""
    await _queue(conn, incident_id, CONNECT, {"call_sid": call_sid, "twiml": twiml}, now)


async def _queue(
    conn: AsyncConnection, incident_id: int, kind: str, payload: Dict[str, Any], now: datetime
) -> None:
    await conn.execute(
        insert(incident_sends).values(
            incident_id=incident_id,
            kind=kind,
            payload=payload,
            state=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


# ---- sending ----------------------------------------------------------------


async def flush(
    engine: AsyncEngine, senders: Senders, batch: int = 50, incident_id: Optional[int] = None
) -> int:
    """Sends what is due (of one incident, if given); returns how many rows were handled.

    An incident's sends go in the order they were queued (pause before the
    message that says a person took over); different incidents' go at the
    same time, so a request sending its operator's reply never waits behind
    other incidents. Each outcome is announced on the incident's live topic
    with it, so an open page shows "terkirim" or "gagal" whichever replica sent it."""
    mine = incident_sends.c.incident_id == incident_id if incident_id is not None else None
    return await queue.run(
        engine,
        lambda row: _send(senders, row),
        batch,
        written=_announce,
        where=mine,
        group=lambda row: row.incident_id,
    )


async def _announce(conn: AsyncConnection, row: Any, values: Dict[str, Any]) -> None:
    data = {"incident_id": row.incident_id, "change": "sent", "kind": row.kind}
    await live.publish(conn, TOPIC, data, roles=ROLES)


async def _send(senders: Senders, row: Any) -> Dict[str, Any]:
    try:
        await _perform(senders, row.kind, row.payload)
    except CannotSend as exc:
        logger.error("incident %s: %s not sent: %s", row.incident_id, row.kind, exc)
        return queue.finish(row, state=FAILED, last_error=str(exc)[:500])
    except Exception as exc:  # Rasa, Twilio, Redis or the network: soon again
        logger.warning("incident %s: %s not sent yet: %s", row.incident_id, row.kind, exc)
        return queue.retry(row, f"{type(exc).__name__}: {exc}")
    return queue.finish(row, state=DONE, done_at=utcnow())


async def _perform(senders: Senders, kind: str, payload: Dict[str, Any]) -> None:
    if kind == MESSAGE:
        recipient = Recipient.conversation(payload["channel"], payload["conversation_id"])
        text = Message(text=payload["text"], author=payload.get("author"))
        try:
            await senders.outbound.send(recipient, text)
        except Undeliverable as exc:
            raise CannotSend(str(exc)) from None
    elif kind == PAUSE:
        await senders.rasa.pause(payload["conversation_id"])
    elif kind == RESUME:
        await senders.rasa.resume(payload["conversation_id"])
    elif kind == CALL:
        await _call(senders, payload)
    elif kind == CONNECT:
        if senders.voice is None:
            raise CannotSend("TWILIO_VOICE_FROM is not set: no voice calls")
        try:
            await senders.voice.redirect(payload["call_sid"], payload["twiml"])
        except TwilioError as exc:
            if 400 <= exc.status < 500:  # the caller hung up: retrying cannot reach them
                raise CannotSend(str(exc)) from None
            raise
    else:
        raise CannotSend(f"unknown send kind {kind!r}")


async def _call(senders: Senders, payload: Dict[str, Any]) -> None:
    if senders.voice is None:
        raise CannotSend("TWILIO_VOICE_FROM is not set: no voice calls")
    await senders.voice.call(payload["to"], twiml(payload, senders.cipher))


def twiml(payload: Dict[str, Any], cipher: ContactCipher) -> str:
    """The call's instructions: say the words, or bridge to the citizen's number.

    The citizen's number is opened here, only for Twilio, and never stored open."""
    if payload.get("contact"):
        try:
            number = cipher.open(payload["contact"]).removeprefix("whatsapp:")
        except ContactError as exc:
            raise CannotSend(f"the citizen's number cannot be opened: {exc}") from None
        intro = escape(CALLBACK_INTRO.format(incident=payload.get("incident", "")))
        return (
            f'<Response><Say language="id-ID">{intro}</Say><Dial>{escape(number)}</Dial></Response>'
        )
    words = escape(str(payload.get("say") or ""))
    say = f'<Say language="id-ID">{words}</Say>'
    return f'<Response>{say}<Pause length="1"/>{say}</Response>'

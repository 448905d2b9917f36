"""Staff ask the reporter a question about their ticket; the answer joins its thread.

Asking writes the question into the ticket's history and queues it for the
reporter's channel (backend/notify.py: free text inside WhatsApp's 24-hour
window, the approved `staff_question` template outside it), in one
transaction. When it is delivered, the bot's `staff_answer_form` opens in
the citizen's conversation (lapor/conversations.py), so their next message,
text, photo or pin, is taken as the answer and posted back here by the
action server (backend/bot_api.py) instead of starting a new complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import notify
from backend.tables import ticket_events
from backend.tickets import Event, announce, locked, record_event
from lapor.timeutil import utcnow

QUESTION, ANSWER = "question", "answer"
CITIZEN = "Pelapor (warga)"  # the actor of the citizen's entries in a ticket's history
MAX_QUESTION = 1000


class CannotReach(Exception):
    """The reporter left no chat channel to ask on (e.g. reported by e-mail)."""


@dataclass(frozen=True)
class Answer:
    text: Optional[str] = None
    media_url: Optional[str] = None  # a photo this backend stored
    pin: Optional[Tuple[float, float]] = None  # a shared location


async def ask(
    engine: AsyncEngine,
    service_request_id: str,
    question: str,
    *,
    actor: str,
    department: Optional[str],
    now: Optional[datetime] = None,
) -> None:
    """Queue `question` to the reporter; `department` None: any ticket (triage, admin)."""
    when = now or utcnow()
    async with engine.begin() as conn:
        ticket = await locked(conn, service_request_id, department)
        if notify.recipient_of(ticket) is None:
            raise CannotReach(service_request_id)
        await record_event(conn, ticket.id, ticket.workflow_status, question, actor, when, QUESTION)
        await notify.enqueue(conn, ticket, ticket.workflow_status, question, when, notify.QUESTION)
        await announce(conn, ticket, QUESTION)


async def record_answer(
    engine: AsyncEngine,
    service_request_id: str,
    answer: Answer,
    now: Optional[datetime] = None,
    key: Optional[str] = None,
) -> bool:
    """The reporter's answer, into the ticket's thread; staff see it live.

    False when the answer with this idempotency `key` is in a thread already
    (the action server posting it again): kept once."""
    when = now or utcnow()
    async with engine.begin() as conn:
        # The ticket's row lock makes a second post of the same key wait for the first.
        ticket = await locked(conn, service_request_id, None)
        if key and await _answered(conn, key):
            return False
        await record_event(
            conn,
            ticket.id,
            ticket.workflow_status,
            answer.text,
            CITIZEN,
            when,
            ANSWER,
            media_url=answer.media_url,
            pin=answer.pin,
            key=key,
        )
        await announce(conn, ticket, ANSWER)
    return True


async def _answered(conn: AsyncConnection, key: str) -> bool:
    found = await conn.execute(select(ticket_events.c.id).where(ticket_events.c.key == key))
    return found.first() is not None


def waiting_question(events: Sequence[Event], now: datetime, wait: timedelta) -> Optional[Event]:
    """The last question the reporter has not answered yet, while its wait lasts
    (after it, the bot no longer takes their messages as the answer)."""
    for event in reversed(events):
        if event.kind == ANSWER:
            return None
        if event.kind == QUESTION:
            return event if now - event.created_at <= wait else None
    return None

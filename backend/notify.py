"""Tell WhatsApp reporters when a department changes their ticket's status.

A status change queues a row in `notifications` in the same transaction, so
no change goes unannounced; a worker in every backend process sends due rows
(claimed with FOR UPDATE SKIP LOCKED, so replicas never send one twice). Inside
WhatsApp's 24-hour window the message is free text; outside it Twilio only
delivers an approved template (TWILIO_TEMPLATES={"ticket_status": "HX..."}).

A notice that cannot be delivered is never deleted: without a template it is
marked `undeliverable` at once, after MAX_ATTEMPTS failed sends `failed`;
both are logged and listed by `python -m backend notices`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.tables import notifications, tickets
from backend.workflow import label
from lapor.timeutil import utcnow

logger = logging.getLogger(__name__)

TEMPLATE_KIND = "ticket_status"
MAX_ATTEMPTS = 8
PENDING, SENT, UNDELIVERABLE, FAILED = "pending", "sent", "undeliverable", "failed"
NO_TEMPLATE_WARNING = (
    "TWILIO_TEMPLATES has no %r template: status notices to citizens outside "
    "WhatsApp's 24-hour window cannot be delivered; they are kept as undeliverable "
    "(python -m backend notices)"
)
TEXT = (
    "📢 Pembaruan laporan {ticket}\n"
    "Status: {status}\n"
    "{note_line}"
    "Terima kasih telah melapor melalui Lapor Mbak Wali."
)


class Undeliverable(Exception):
    """No way to reach the citizen now; retrying the same way cannot help."""


class Sender(Protocol):
    def has_template(self, kind: str) -> bool: ...
    async def in_window(self, recipient: str) -> bool: ...
    async def send_text(self, recipient: str, body: str) -> str: ...
    async def send_template(self, recipient: str, kind: str, variables: Dict[str, str]) -> str: ...


@dataclass(frozen=True)
class Outcome:
    message_sid: str
    kind: str


async def enqueue(
    conn: AsyncConnection, ticket: Any, status: str, note: Optional[str], when: datetime
) -> None:
    """Queues the notice when the ticket came over WhatsApp (we have a number)."""
    if ticket.channel != "whatsapp" or not ticket.phone:
        return
    await conn.execute(
        insert(notifications).values(
            ticket_id=ticket.id,
            recipient=f"whatsapp:{ticket.phone}",
            workflow_status=status,
            note=(note or "").strip() or None,
            created_at=when,
            next_attempt_at=when,
            attempts=0,
            state=PENDING,
        )
    )


def message(ticket: str, status: str, note: Optional[str]) -> str:
    note_line = f"Catatan petugas: {note}\n" if note else ""
    return TEXT.format(ticket=ticket, status=label(status), note_line=note_line)


async def deliver(
    sender: Sender, recipient: str, ticket: str, status: str, note: Optional[str]
) -> Outcome:
    if await sender.in_window(recipient):
        return Outcome(await sender.send_text(recipient, message(ticket, status, note)), "text")
    if not sender.has_template(TEMPLATE_KIND):
        raise Undeliverable(f"outside the 24-hour window and no {TEMPLATE_KIND!r} template")
    variables = {"1": ticket, "2": label(status), "3": note or "-"}
    return Outcome(await sender.send_template(recipient, TEMPLATE_KIND, variables), "template")


async def flush(engine: AsyncEngine, sender: Sender, batch: int = 20) -> int:
    """Sends due notifications; returns how many were sent."""
    sent = 0
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(notifications, tickets.c.service_request_id)
                .join(tickets, tickets.c.id == notifications.c.ticket_id)
                .where(
                    notifications.c.state == PENDING,
                    notifications.c.next_attempt_at <= utcnow(),
                )
                .order_by(notifications.c.id)
                .limit(batch)
                .with_for_update(of=notifications, skip_locked=True)
            )
        ).all()
        for row in rows:
            values = await _attempt(sender, row)
            sent += "sent_at" in values
            await conn.execute(
                update(notifications).where(notifications.c.id == row.id).values(values)
            )
    return sent


def template_warning(sender: Sender) -> Optional[str]:
    """Said at start when notices outside the 24-hour window cannot go out."""
    return None if sender.has_template(TEMPLATE_KIND) else NO_TEMPLATE_WARNING % TEMPLATE_KIND


async def undelivered(engine: AsyncEngine) -> List[Any]:
    """Notices that will not be sent automatically, oldest first."""
    statement = (
        select(notifications, tickets.c.service_request_id)
        .join(tickets, tickets.c.id == notifications.c.ticket_id)
        .where(notifications.c.state.in_([UNDELIVERABLE, FAILED]))
        .order_by(notifications.c.id)
    )
    async with engine.connect() as conn:
        return list((await conn.execute(statement)).all())


async def _attempt(sender: Sender, row: Any) -> Dict[str, Any]:
    attempts = row.attempts + 1
    try:
        outcome = await deliver(
            sender, row.recipient, row.service_request_id, row.workflow_status, row.note
        )
    except Undeliverable as exc:
        logger.warning("status notice for %s undeliverable: %s", row.service_request_id, exc)
        return {"attempts": attempts, "last_error": str(exc), "state": UNDELIVERABLE}
    except Exception as exc:  # any Twilio or network failure: retry later, up to the cap
        if attempts >= MAX_ATTEMPTS:
            logger.error(
                "status notice for %s failed %d times; kept as failed: %s",
                row.service_request_id,
                attempts,
                exc,
            )
            return {"attempts": attempts, "last_error": str(exc)[:500], "state": FAILED}
        delay = timedelta(seconds=30 * 2 ** min(row.attempts, 6))
        logger.warning("status notice for %s not sent: %s", row.service_request_id, exc)
        return {
            "attempts": attempts,
            "last_error": str(exc)[:500],
            "next_attempt_at": utcnow() + delay,
        }
    return {
        "attempts": attempts,
        "state": SENT,
        "sent_at": utcnow(),
        "message_sid": outcome.message_sid,
        "kind": outcome.kind,
    }

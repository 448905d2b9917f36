"""Tell reporters when a department changes their ticket's status, on their channel.

A status change queues a row in `notifications` in the same transaction, so
no change goes unannounced; a worker in every backend process sends due rows
through lapor.outbound (lapor.jobs claims them, so replicas never send one
twice). WhatsApp reporters get free text inside the 24-hour window and the
approved `ticket_status` template outside it; web-chat reporters get it in
the widget, live or when they next open it.

A notice that cannot be delivered is kept (until RETENTION_NOTIFICATION_DAYS,
backend/retention.py): with no way to reach the
citizen (no template outside the window) it is `undeliverable` at once, and
after MAX_ATTEMPTS failed sends `failed`; both are logged and listed by
`python -m backend notices`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Sequence

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.tables import notifications, tickets
from backend.workflow import label
from lapor import channels, jobs
from lapor.outbound import (
    Button,
    Expectation,
    Message,
    Outbound,
    Recipient,
    Template,
    Undeliverable,
)
from lapor.timeutil import utcnow

logger = logging.getLogger(__name__)

TEMPLATE_KIND = "ticket_status"
# What a queued message is; each has its own wording and approved template.
STATUS, QUESTION, CLOSURE_CHECK = "status", "question", "closure_check"
TEMPLATES = {STATUS: TEMPLATE_KIND, QUESTION: "staff_question", CLOSURE_CHECK: "closure_check"}
# The bot forms that take the citizen's answer (bot/domain/slots.yml).
ANSWER_FORM, CLOSURE_FORM = "staff_answer_form", "closure_form"
MAX_ATTEMPTS = 8
PENDING, SENT, UNDELIVERABLE, FAILED = "pending", "sent", "undeliverable", "failed"
NO_TEMPLATE_WARNING = (
    "TWILIO_TEMPLATES has no %s template: such messages to citizens outside "
    "WhatsApp's 24-hour window cannot be delivered; they are kept as undeliverable "
    "(python -m backend notices)"
)
TEXT = (
    "📢 Pembaruan laporan {ticket}\n"
    "Status: {status}\n"
    "{note_line}"
    "Terima kasih telah melapor melalui Lapor Mbak Wali."
)
QUESTION_TEXT = (
    "❓ Pertanyaan petugas tentang laporan {ticket}:\n"
    "{question}\n\n"
    "Silakan balas pesan ini dengan jawaban Bapak/Ibu (boleh teks, foto, atau lokasi)."
)
CLOSURE_TEXT = (
    "✅ Laporan {ticket} sudah ditandai selesai oleh petugas.\n"
    "{note_line}"
    "Apakah masalahnya sudah beres?"
)
CLOSURE_BUTTONS = (Button("Sudah beres", "/affirm"), Button("Belum", "/deny"))

queue = jobs.Queue(
    name="status notices",
    table=notifications,
    waiting=lambda: notifications.c.state == PENDING,
    due=notifications.c.next_attempt_at,
    attempts=notifications.c.attempts,
    error=notifications.c.last_error,
    max_attempts=MAX_ATTEMPTS,
    dead=lambda: {"state": FAILED},
    backoff=jobs.Backoff(),
)


def recipient_of(ticket: Any) -> Optional[str]:
    """Where a ticket's reporter can be reached, as 'channel:address'; None if nowhere."""
    if ticket.channel == channels.WHATSAPP and ticket.phone:
        return f"{channels.WHATSAPP}:{ticket.phone}"
    if ticket.channel == channels.WEB and ticket.account_id:
        return f"{channels.WEB}:{ticket.account_id}"
    return None


def parse_recipient(value: str) -> Recipient:
    channel, _, address = value.partition(":")
    if channel == channels.WHATSAPP:
        return Recipient.whatsapp_number(address)
    return Recipient.conversation(channel, address)


async def enqueue(
    conn: AsyncConnection,
    ticket: Any,
    status: str,
    note: Optional[str],
    when: datetime,
    purpose: str = STATUS,
    media_url: Optional[str] = None,
) -> bool:
    """Queues the message when the reporter can be reached (a chat channel);
    whether they can."""
    recipient = recipient_of(ticket)
    if recipient is None:
        return False
    await conn.execute(
        insert(notifications).values(
            ticket_id=ticket.id,
            recipient=recipient,
            workflow_status=status,
            note=(note or "").strip() or None,
            created_at=when,
            next_attempt_at=when,
            attempts=0,
            state=PENDING,
            purpose=purpose,
            media_url=media_url,
        )
    )
    return True


def message(
    ticket: str,
    status: str,
    note: Optional[str],
    purpose: str = STATUS,
    image_url: Optional[str] = None,
) -> Message:
    """The words a queued message goes out with; questions and closure checks
    also open the bot form that takes the citizen's answer."""
    note_line = f"Catatan petugas: {note}\n" if note else ""
    if purpose == QUESTION:
        return Message(
            text=QUESTION_TEXT.format(ticket=ticket, question=note or ""),
            template=Template(TEMPLATES[QUESTION], {"1": ticket, "2": note or "-"}),
            expects=Expectation(ANSWER_FORM, "staff_answer", {"answering_ticket": ticket}),
        )
    if purpose == CLOSURE_CHECK:
        return Message(
            text=CLOSURE_TEXT.format(ticket=ticket, note_line=note_line),
            buttons=CLOSURE_BUTTONS,
            image_url=image_url,
            template=Template(TEMPLATES[CLOSURE_CHECK], {"1": ticket, "2": note or "-"}),
            expects=Expectation(CLOSURE_FORM, "closure_fixed", {"closing_ticket": ticket}),
        )
    text = TEXT.format(ticket=ticket, status=label(status), note_line=note_line)
    variables = {"1": ticket, "2": label(status), "3": note or "-"}
    return Message(text=text, image_url=image_url, template=Template(TEMPLATES[STATUS], variables))


async def flush(engine: AsyncEngine, outbound: Outbound, batch: int = 20) -> int:
    """Sends due notices; returns how many were sent."""
    sent = 0

    async def attempt(row: Any) -> Dict[str, Any]:
        nonlocal sent
        values = await _attempt(engine, outbound, row)
        sent += values.get("state") == SENT
        return values

    await queue.run(engine, attempt, batch)
    return sent


def template_warning(
    has_template: Callable[[str], bool], others: Sequence[str] = ()
) -> Optional[str]:
    """Said at start when some messages outside the 24-hour window cannot go out
    (the notices', and `others` such as the voice line's)."""
    kinds = [*TEMPLATES.values(), *others]
    missing = [repr(kind) for kind in kinds if not has_template(kind)]
    return NO_TEMPLATE_WARNING % ", ".join(missing) if missing else None


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


async def _ticket_number(engine: AsyncEngine, ticket_id: int) -> str:
    statement = select(tickets.c.service_request_id).where(tickets.c.id == ticket_id)
    async with engine.connect() as conn:
        return str((await conn.execute(statement)).scalar_one())


async def _attempt(engine: AsyncEngine, outbound: Outbound, row: Any) -> Dict[str, Any]:
    ticket = await _ticket_number(engine, row.ticket_id)
    try:
        delivery = await outbound.send(
            parse_recipient(row.recipient),
            message(ticket, row.workflow_status, row.note, row.purpose, row.media_url),
        )
    except Undeliverable as exc:
        logger.warning("status notice for %s undeliverable: %s", ticket, exc)
        return queue.finish(row, state=UNDELIVERABLE, last_error=str(exc)[:500])
    except Exception as exc:  # Twilio, Redis or the network: retry later, up to the cap
        logger.warning("status notice for %s not sent: %s", ticket, exc)
        return queue.retry(row, str(exc))
    return queue.finish(
        row,
        state=SENT,
        sent_at=utcnow(),
        message_sid=delivery.reference[:64],
        kind=delivery.kind,
    )

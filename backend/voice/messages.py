"""The WhatsApp message a 112 call leaves behind, sent by every replica's worker.

- After a ghost call (silent, ended): "you just called 112; if you need
  help, reply". The message opens the bot's `ghost_reply_form`, so the reply
  is filed as an incident for the operators (actions/ghost_reply.py),
  whatever it says: a caller who could not speak may be able to type.
- After a call an operator sorted as a prank: a warning, sent once.

Queued in the call's transaction (backend/voice/calls.py), retried like the
status notices; outside WhatsApp's 24-hour window only an approved template
may go (TWILIO_TEMPLATES `ghost_call`, `prank_warning`), else the message is
recorded as undeliverable and the console shows it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Dict

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.tables import voice_calls
from lapor import jobs
from lapor.contact import ContactCipher, ContactError
from lapor.outbound import Expectation, Message, Outbound, Recipient, Template, Undeliverable
from lapor.timeutil import utcnow

logger = logging.getLogger(__name__)

# The approved WhatsApp templates these messages need outside the 24-hour window.
TEMPLATES = ("ghost_call", "prank_warning")
PENDING, SENT, UNDELIVERABLE, FAILED = "pending", "sent", "undeliverable", "failed"
GHOST_FORM, GHOST_SLOT, GHOST_CALL = "ghost_reply_form", "ghost_reply", "ghost_call"
GHOST_TEXT = (
    "Bapak/Ibu baru saja menelepon 112 Kota Kediri, tetapi kami tidak mendengar suara. "
    "Jika Bapak/Ibu membutuhkan bantuan, balas pesan ini: balasan Bapak/Ibu langsung "
    "diteruskan kepada petugas 112."
)
PRANK_TEXT = (
    "Panggilan dari nomor ini ke 112 Kota Kediri dicatat petugas sebagai panggilan iseng. "
    "Panggilan iseng menghalangi warga yang sedang dalam bahaya untuk mendapat pertolongan. "
    "Jika Bapak/Ibu dalam keadaan darurat, tetap telepon 112."
)

_c = voice_calls.c

queue = jobs.Queue(
    name="voice messages",
    table=voice_calls,
    waiting=lambda: _c.message_state == PENDING,
    due=_c.message_next_at,
    attempts=_c.message_attempts,
    error=_c.message_error,
    max_attempts=12,
    dead=lambda: {"message_state": FAILED},
    backoff=jobs.Backoff(first=timedelta(seconds=5), most=timedelta(minutes=5)),
    lease=timedelta(minutes=2),
)


def message(kind: str, call_sid: str) -> Message:
    if kind == "ghost":
        return Message(
            text=GHOST_TEXT,
            template=Template(TEMPLATES[0]),
            expects=Expectation(GHOST_FORM, GHOST_SLOT, {GHOST_CALL: call_sid}),
        )
    return Message(text=PRANK_TEXT, template=Template(TEMPLATES[1]))


async def flush(engine: AsyncEngine, outbound: Outbound, cipher: ContactCipher) -> int:
    """Sends what is due; returns how many rows were handled."""
    return await queue.run(engine, lambda row: _attempt(outbound, cipher, row))


async def _attempt(outbound: Outbound, cipher: ContactCipher, row: Any) -> Dict[str, Any]:
    try:
        phone = cipher.open(row.contact)
        await outbound.send(
            Recipient.whatsapp_number(phone), message(row.message_kind, row.call_sid)
        )
    except (Undeliverable, ContactError) as exc:
        logger.warning("voice call %s: %s message undeliverable: %s", row.id, row.message_kind, exc)
        return queue.finish(row, message_state=UNDELIVERABLE, message_error=str(exc)[:500])
    except Exception as exc:  # Twilio, Redis or the network: later, up to the cap
        logger.warning("voice call %s: %s message not sent: %s", row.id, row.message_kind, exc)
        return queue.retry(row, f"{type(exc).__name__}: {exc}")
    logger.info("voice call %s: %s message sent at %s", row.id, row.message_kind, utcnow())
    return queue.finish(row, message_state=SENT)

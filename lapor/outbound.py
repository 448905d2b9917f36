"""Reach a citizen on whatever channel they used: one interface, one call.

The city starts conversations too: a ticket's status changed, an operator or
a department asks something, a ghost call is followed up. Whoever sends calls
`Outbound.send(recipient, message)`; the recipient says which channel and
which conversation (or bare phone number), and the channel's implementation
does the rest (WhatsApp: Twilio, the 24-hour window and templates; web chat:
stored, then pushed to the open widget). A delivered message is also
recorded in the Rasa conversation, so the history a citizen and the staff
see stays whole.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Protocol, Tuple

from lapor import channels

logger = logging.getLogger(__name__)


class Undeliverable(Exception):
    """No way to reach this citizen now; retrying the same way cannot help."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp template: what may be sent outside the 24-hour window."""

    kind: str  # a key of TWILIO_TEMPLATES, e.g. "ticket_status"
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Expectation:
    """The citizen's next message answers this one: the bot form that takes
    it (e.g. a staff member's question about a ticket), opened in the
    conversation when the message is delivered."""

    form: str
    requested_slot: str
    slots: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    text: str = ""
    buttons: Tuple[Button, ...] = ()
    image_url: Optional[str] = None
    # A tap-to-call link (the widget shows a button; WhatsApp shows the text).
    call_label: Optional[str] = None
    call_href: Optional[str] = None
    # For WhatsApp outside the 24-hour window; without it such a message is undeliverable.
    template: Optional[Template] = None
    # Who wrote it, when a person did ("Petugas 112"): the chat shows it with the text.
    author: Optional[str] = None
    expects: Optional[Expectation] = None

    @property
    def signed_text(self) -> str:
        """The text as a text-only channel shows it: signed by its author, if any."""
        if self.author and self.text:
            return f"*{self.author}:* {self.text}"
        return self.text


@dataclass(frozen=True)
class Recipient:
    """A citizen: the channel and where on it (a conversation id or a phone number)."""

    channel: str
    conversation_id: Optional[str] = None
    phone: Optional[str] = None

    @classmethod
    def whatsapp_number(cls, phone: str) -> "Recipient":
        return cls(channels.WHATSAPP, phone=phone)

    @classmethod
    def conversation(cls, channel: str, conversation_id: str) -> "Recipient":
        return cls(channel, conversation_id=conversation_id)


@dataclass(frozen=True)
class Delivery:
    conversation_id: Optional[str]  # the Rasa conversation it belongs to, when known
    reference: str  # the channel's id of what was sent (Twilio MessageSid, stream id)
    kind: str  # "text", "template", "stored"


class Channel(Protocol):
    """One channel's way of delivering (lapor/whatsapp/sender.py, lapor/webchat.py)."""

    async def deliver(self, recipient: Recipient, message: Message) -> Delivery: ...


class ConversationLog(Protocol):
    """Where delivered messages are recorded (the Rasa conversation)."""

    async def record(self, conversation_id: str, message: Message) -> None: ...


class Outbound:
    def __init__(
        self, by_channel: Mapping[str, Channel], log: Optional[ConversationLog] = None
    ) -> None:
        self._channels: Dict[str, Channel] = dict(by_channel)
        self._log = log

    @property
    def channels(self) -> Tuple[str, ...]:
        return tuple(sorted(self._channels))

    async def send(self, recipient: Recipient, message: Message) -> Delivery:
        """Delivers, then records it in the conversation. Raises Undeliverable
        when no configured channel can reach the recipient; other errors
        (network, Twilio) are worth retrying."""
        channel = self._channels.get(recipient.channel)
        if channel is None:
            raise Undeliverable(f"no way to reach a {recipient.channel!r} citizen is configured")
        delivery = await channel.deliver(recipient, message)
        if self._log and delivery.conversation_id:
            try:
                await self._log.record(delivery.conversation_id, message)
            except Exception as exc:  # delivered already: never send twice for a log entry
                logger.warning("delivered message not recorded in its conversation: %s", exc)
        return delivery

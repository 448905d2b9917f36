"""Deliver a message to a WhatsApp citizen (lapor.outbound's WhatsApp channel).

The same code sends the bot's replies (bot/channels/whatsapp.py) and the
messages the city starts: long texts split at sentence or line boundaries,
buttons as a numbered list whose numbers map back when the citizen answers,
images as media. A message the city starts goes as free text only inside
WhatsApp's 24-hour customer service window; outside it Twilio delivers only
an approved template (TWILIO_TEMPLATES), and without one it is undeliverable.
"""

from __future__ import annotations

from typing import List, Optional

from lapor import channels
from lapor.contact import PSEUDONYM_PREFIX, ContactCipher, ContactError
from lapor.outbound import Delivery, Message, Recipient, Undeliverable
from lapor.whatsapp.formatting import split_text, with_numbered_buttons
from lapor.whatsapp.state import ChannelState
from lapor.whatsapp.twilio import TwilioClient


class WhatsAppChannel:
    def __init__(self, client: TwilioClient, state: ChannelState, cipher: ContactCipher) -> None:
        self.client = client
        self.state = state
        self.cipher = cipher

    def has_template(self, kind: str) -> bool:
        return bool(self.client.config.templates.get(kind))

    async def deliver(self, recipient: Recipient, message: Message) -> Delivery:
        phone = await self.phone_of(recipient)
        if phone is None:
            raise Undeliverable("no WhatsApp number is known for this conversation")
        conversation = self.cipher.pseudonym(phone)
        if await self.state.in_window(conversation):
            sids = await self.send_session(phone, conversation, message)
            return Delivery(conversation, sids[0], "text")
        template = message.template
        if template is None or not self.has_template(template.kind):
            kind = template.kind if template else "any"
            raise Undeliverable(f"outside the 24-hour window and no {kind!r} template")
        sid = await self.client.send(
            phone,
            content_sid=self.client.config.templates[template.kind],
            content_variables=dict(template.variables),
        )
        return Delivery(conversation, sid, "template")

    async def send_session(self, phone: str, conversation: str, message: Message) -> List[str]:
        """Free-form messages (inside the window, or a reply to the citizen's turn)."""
        text = message.signed_text
        if message.buttons:
            buttons = [{"title": b.title, "payload": b.payload} for b in message.buttons]
            # The reply's number maps back to the payload (bot/channels/whatsapp.py).
            await self.state.remember_buttons(conversation, buttons)
            text = with_numbered_buttons(text, buttons)
        sids = [await self.client.send(phone, body=piece) for piece in split_text(text)]
        if message.image_url:
            sids.append(await self.client.send(phone, media_url=message.image_url))
        return sids

    async def phone_of(self, recipient: Recipient) -> Optional[str]:
        """The number itself, or the sealed one kept for a pseudonymous conversation."""
        if recipient.channel != channels.WHATSAPP:
            return None
        if recipient.phone:
            return recipient.phone
        conversation = recipient.conversation_id or ""
        if not conversation.startswith(PSEUDONYM_PREFIX):
            return conversation or None  # a conversation named by its number
        sealed = await self.state.contact(conversation)
        try:
            return self.cipher.open(sealed) if sealed else None
        except ContactError:
            return None

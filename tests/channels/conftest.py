"""A WhatsApp channel wired to the fake Twilio and the live backend."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional
from urllib.parse import urlencode

from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from bot.channels.media import BackendMedia
from bot.channels.whatsapp import WhatsAppInput
from lapor.contact import ContactCipher
from lapor.settings import DEVELOPMENT_CONTACT_KEY
from lapor.whatsapp.state import ChannelState, MemoryStore
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_FROM, FakeTwilio
from tests.servers import Server

PUBLIC = "https://lapor.example.go.id"
WEBHOOK = "/webhooks/whatsapp/webhook"
STATUS = "/webhooks/whatsapp/status"

Handler = Callable[[UserMessage], Awaitable[Any]]


def make_channel(
    fake: FakeTwilio, backend: Server, store: Any = None, privacy_url: Optional[str] = None
) -> WhatsAppInput:
    """The WhatsApp channel on the fake Twilio; without `privacy_url`, no first-contact notice."""
    config = fake.config(max_media_bytes=1024 * 1024, status_callback=f"{PUBLIC}{STATUS}")
    return WhatsAppInput(
        config,
        ChannelState(store or MemoryStore()),
        BackendMedia(backend.url, "test-api-key"),
        ContactCipher(DEVELOPMENT_CONTACT_KEY.encode()),
        public_base_url=PUBLIC,
        privacy_url=privacy_url,
    )


class Harness:
    """A Sanic app serving the channel; the 'bot' records what it is told."""

    def __init__(self, channel: WhatsAppInput, reply: Optional[Callable[[str], str]] = None):
        self.channel = channel
        self.received: List[UserMessage] = []
        self.reply = reply
        self.app = Sanic(f"wa-{uuid.uuid4().hex[:8]}")
        self.app.blueprint(channel.blueprint(self._on_message), url_prefix="/webhooks/whatsapp")

    async def _on_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.reply:
            await message.output_channel.send_text_message(
                message.sender_id, self.reply(message.text or "")
            )

    async def post(self, path: str, form: Dict[str, str], signature: Optional[str] = "sign") -> Any:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature == "sign":
            signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, form)
        if signature:
            headers["X-Twilio-Signature"] = signature
        _, response = await self.app.asgi_client.post(
            path, content=urlencode(form), headers=headers
        )
        return response

    async def settle(self, count: int, timeout: float = 10) -> None:
        """Waits until the background processing has handled `count` messages."""
        for _ in range(int(timeout / 0.02)):
            if len(self.received) >= count and not self.channel._tasks:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{len(self.received)} of {count} messages processed")


def message_form(
    sid: str, body: str = "halo", sender: str = "whatsapp:+6281234567890", **extra: str
) -> Dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": WHATSAPP_FROM,
        "Body": body,
        "NumMedia": "0",
        "ProfileName": "Siti",
        "WaId": sender.split("+")[-1],
        **extra,
    }

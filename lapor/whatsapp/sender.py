"""Messages the backend starts (ticket status notices) sent over WhatsApp."""

from __future__ import annotations

from typing import Dict, Optional

from lapor.contact import ContactCipher, cipher_from_env
from lapor.whatsapp.formatting import split_text
from lapor.whatsapp.state import ChannelState, store_from_env
from lapor.whatsapp.twilio import TwilioClient, TwilioConfig, TwilioError


class WhatsAppSender:
    def __init__(self, client: TwilioClient, state: ChannelState, cipher: ContactCipher) -> None:
        self.client = client
        self.state = state
        self.cipher = cipher

    @classmethod
    def from_env(cls) -> Optional["WhatsAppSender"]:
        config = TwilioConfig.from_env()
        if not config.configured:
            return None
        return cls(TwilioClient(config), ChannelState(store_from_env()), cipher_from_env())

    def has_template(self, kind: str) -> bool:
        return bool(self.client.config.templates.get(kind))

    async def in_window(self, recipient: str) -> bool:
        # The channel records activity under the number's pseudonym.
        return await self.state.in_window(self.cipher.pseudonym(recipient))

    async def send_text(self, recipient: str, body: str) -> str:
        sids = [await self.client.send(recipient, body=piece) for piece in split_text(body)]
        return sids[0]

    async def send_template(self, recipient: str, kind: str, variables: Dict[str, str]) -> str:
        content_sid = self.client.config.templates.get(kind)
        if not content_sid:
            raise TwilioError(0, None, f"no approved template configured for {kind!r}")
        return await self.client.send(
            recipient, content_sid=content_sid, content_variables=variables
        )

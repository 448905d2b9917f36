"""Every channel seals population numbers before Rasa sees a message (lapor/identity.py)."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import UserMessage

from bot.channels.commands import OnNewMessage
from lapor.contact import ContactCipher
from lapor.identity import METADATA_KEY, seal_numbers


def seal_message(message: UserMessage, cipher: ContactCipher) -> UserMessage:
    """The same message with its NIK/KK numbers replaced and carried sealed."""
    if not message.text:
        return message
    text, sealed = seal_numbers(message.text, cipher)
    if sealed:
        message.text = text
        metadata = dict(message.metadata or {})
        metadata[METADATA_KEY] = [number.as_metadata() for number in sealed]
        message.metadata = metadata
    return message


def sealing(on_new_message: OnNewMessage, cipher: ContactCipher) -> OnNewMessage:
    """Wraps a channel's `on_new_message` so no message passes unsealed."""

    async def handle(message: UserMessage) -> Any:
        return await on_new_message(seal_message(message, cipher))

    return handle

"""Rasa's REST channel behind a token, for server-side clients only.

Rasa's RestInput takes any `sender` and even a client-chosen
`input_channel` ("whatsapp"), so whoever reaches it could speak as any
citizen or channel. This one answers only requests carrying
`Authorization: Bearer <REST_CHANNEL_TOKEN>` (the end-to-end tests and
`make bench`), and its messages always come from the `rest` channel.
Citizens use WhatsApp and the web widget, never this.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import commands
from bot.channels.identity import sealing
from bot.settings import get_settings
from lapor import bearer
from lapor.contact import ContactCipher


class TokenRestInput(RestInput):
    """Named `rest` like Rasa's: the same URL, /webhooks/rest/webhook."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        cipher = ContactCipher.from_settings(get_settings())
        blueprint = super().blueprint(commands.guarded(sealing(on_new_message, cipher)))
        token = get_settings().rest_channel_token

        @blueprint.middleware("request")
        async def _authenticate(request: Request) -> Optional[HTTPResponse]:
            given = request.headers.get("authorization")
            if request.path.endswith("/webhook") and not bearer.matches(given, token):
                return response.json({"error": "Authorization: Bearer <token> required"}, 401)
            return None

        commands.remember_agent(blueprint)
        return blueprint

    def _extract_input_channel(self, req: Request) -> Text:
        # Never the client's word for it: a message here comes from this channel.
        return self.name()

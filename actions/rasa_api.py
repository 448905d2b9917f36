"""Tell a conversation something happened outside it (Rasa's HTTP API)."""

from __future__ import annotations

import logging
from urllib.parse import quote

import aiohttp

from actions.backend_client import CreatedTicket
from actions.config import ActionSettings

logger = logging.getLogger(__name__)

REPORT_FILED_INTENT = "EXTERNAL_report_filed"


class ConversationNotifier:
    def __init__(self, settings: ActionSettings) -> None:
        self._settings = settings

    async def report_filed(self, sender_id: str, ticket: CreatedTicket) -> None:
        """Triggers the intent whose rule sends the ticket number to the citizen."""
        url = f"{self._settings.rasa_url}/conversations/{quote(sender_id, safe='')}/trigger_intent"
        params = {"output_channel": "latest"}
        if self._settings.rasa_token:
            params["token"] = self._settings.rasa_token
        body = {"name": REPORT_FILED_INTENT, "entities": {"ticket_id": ticket.service_request_id}}
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, params=params, json=body) as response,
        ):
            if response.status >= 400:
                raise RuntimeError(f"Rasa answered {response.status}: {await response.text()}")

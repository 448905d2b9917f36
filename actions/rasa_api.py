"""Tell a conversation something happened outside it (Rasa's HTTP API)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional
from urllib.parse import quote

import aiohttp

from actions.settings import ActionSettings
from lapor import http

logger = logging.getLogger(__name__)

REPORT_FILED_INTENT = "EXTERNAL_report_filed"
REPORT_NOT_FILED_INTENT = "EXTERNAL_report_not_filed"


class RasaUnreachable(RuntimeError):
    """Rasa did not take the external event: the caller keeps it and retries."""


class ConversationNotifier:
    def __init__(self, settings: ActionSettings) -> None:
        self._settings = settings

    async def report_filed(self, sender_id: str, ticket: str) -> None:
        """Triggers the intent whose rule sends the ticket number to the citizen."""
        await self._trigger(sender_id, REPORT_FILED_INTENT, {"ticket_id": ticket})

    async def report_not_filed(self, sender_id: str, reason: Optional[str]) -> None:
        """Triggers the intent whose rule tells the citizen the kept report was not filed."""
        await self._trigger(
            sender_id, REPORT_NOT_FILED_INTENT, {"reason": reason} if reason else {}
        )

    async def _trigger(self, sender_id: str, intent: str, entities: Dict[str, Any]) -> None:
        url = f"{self._settings.rasa_url}/conversations/{quote(sender_id, safe='')}/trigger_intent"
        params = {"output_channel": "latest", "token": self._settings.rasa_token}
        body = {"name": intent, "entities": entities}
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with http.session().post(
                url, params=params, json=body, timeout=timeout
            ) as response:
                if response.status >= 400:
                    raise RasaUnreachable(
                        f"Rasa answered {response.status}: {await response.text()}"
                    )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnreachable(f"Rasa not reachable: {exc!r}") from exc

"""Tell a conversation something happened outside it (Rasa's HTTP API).

Normally by triggering an intent, whose rule runs the action that words the
notice. While a 112 operator has the conversation, the bot is paused and
would swallow that trigger: then the notice is worded here and appended as
the bot's message with its side effects executed, which Rasa delivers on
the citizen's latest channel whether paused or not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Dict, Optional
from urllib.parse import quote

import aiohttp

from actions import submit
from actions.settings import ActionSettings
from lapor import http
from lapor.conversations import ORIGIN

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
        if await self._paused(sender_id):
            await self._say(sender_id, await submit.filed_text(self._settings, ticket))
            return
        await self._trigger(sender_id, REPORT_FILED_INTENT, {"ticket_id": ticket})

    async def report_not_filed(self, sender_id: str, reason: Optional[str]) -> None:
        """Triggers the intent whose rule tells the citizen the kept report was not filed."""
        if await self._paused(sender_id):
            await self._say(sender_id, submit.not_filed_text(reason))
            return
        await self._trigger(
            sender_id, REPORT_NOT_FILED_INTENT, {"reason": reason} if reason else {}
        )

    async def _paused(self, sender_id: str) -> bool:
        tracker = await self._call(
            "GET", f"/conversations/{quote(sender_id, safe='')}/tracker",
            {"include_events": "NONE"}, None,
        )  # fmt: skip
        return bool(tracker.get("paused"))

    async def _say(self, sender_id: str, text: str) -> None:
        """The bot's message, sent by Rasa on the latest channel even while paused."""
        event = {
            "event": "bot",
            "text": text,
            "metadata": {"origin": ORIGIN},
            "timestamp": time.time(),
        }
        await self._call(
            "POST", f"/conversations/{quote(sender_id, safe='')}/tracker/events",
            {"execute_side_effects": "true", "output_channel": "latest"}, [event],
        )  # fmt: skip

    async def _trigger(self, sender_id: str, intent: str, entities: Dict[str, Any]) -> None:
        path = f"/conversations/{quote(sender_id, safe='')}/trigger_intent"
        body = {"name": intent, "entities": entities}
        await self._call("POST", path, {"output_channel": "latest"}, body)

    async def _call(
        self, method: str, path: str, params: Dict[str, str], body: Optional[Any]
    ) -> Dict[str, Any]:
        url = f"{self._settings.rasa_url}{path}"
        params = {**params, "token": self._settings.rasa_token}
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with http.session().request(
                method, url, params=params, json=body, timeout=timeout
            ) as response:
                if response.status >= 400:
                    raise RasaUnreachable(
                        f"Rasa answered {response.status}: {await response.text()}"
                    )
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnreachable(f"Rasa not reachable: {exc!r}") from exc
        return answer if isinstance(answer, dict) else {}

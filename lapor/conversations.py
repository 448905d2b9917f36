"""Record what the city sent a citizen in their Rasa conversation.

Messages the city starts (status notices, an operator's words) are delivered
by lapor.outbound's channels, not by Rasa; appending them to the tracker as
bot events keeps the conversation's history whole for the citizen's next
turn, the widget's transcript and the staff who read it. Nothing is sent by
Rasa here (execute_side_effects stays off), so a message is never sent twice.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp

from lapor import http
from lapor.outbound import Expectation, Message

logger = logging.getLogger(__name__)

ORIGIN = "city"  # metadata.origin of events the city sent, as opposed to the bot
OPERATOR_ORIGIN = "operator"  # ... and of a person's words (a 112 operator)
# A form the city opens must not take over while these run: an emergency first.
KEEPS_ITS_FORM = frozenset({"emergency_form"})


def expectation_events(expects: Expectation, now: float) -> List[Dict[str, Any]]:
    """Open the form that takes the citizen's answer: its slots, then the loop
    with the slot it is asking for (the message just sent asked it)."""
    slots = [
        {"event": "slot", "name": name, "value": value, "timestamp": now}
        for name, value in expects.slots.items()
    ]
    return [
        *slots,
        {"event": "active_loop", "name": expects.form, "timestamp": now},
        {
            "event": "slot",
            "name": "requested_slot",
            "value": expects.requested_slot,
            "timestamp": now,
        },
    ]


def bot_event(message: Message) -> Dict[str, Any]:
    data: Dict[str, Any] = {}
    if message.buttons:
        data["buttons"] = [{"title": b.title, "payload": b.payload} for b in message.buttons]
    if message.image_url:
        data["image"] = message.image_url
    if message.call_href:
        data["custom"] = {"type": "call", "label": message.call_label, "href": message.call_href}
    return {
        "event": "bot",
        "text": message.text,
        "data": data,
        "metadata": {"origin": OPERATOR_ORIGIN if message.author else ORIGIN},
        "timestamp": time.time(),
    }


class RasaConversations:
    def __init__(self, rasa_url: str, token: Optional[str], timeout: float = 10.0) -> None:
        self._url = rasa_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def record(self, conversation_id: str, message: Message) -> None:
        events = [bot_event(message)]
        if message.expects and await self._may_open_form(conversation_id):
            events += expectation_events(message.expects, time.time())
        await self._append(conversation_id, events)

    async def _may_open_form(self, conversation_id: str) -> bool:
        """Not while a 112 operator has the conversation or an emergency form asks:
        the question is still delivered and recorded, and the citizen's answer
        is read as ordinary words."""
        url = f"{self._url}/conversations/{quote(conversation_id, safe='')}/tracker"
        params = {"include_events": "NONE", **({"token": self._token} if self._token else {})}
        async with http.session().get(url, params=params, timeout=self._timeout) as response:
            if response.status >= 400:
                raise RuntimeError(f"Rasa answered {response.status}: {await response.text()}")
            tracker = await response.json(content_type=None)
        loop = (tracker.get("active_loop") or {}).get("name")
        if tracker.get("paused") or loop in KEEPS_ITS_FORM:
            logger.info("a question was delivered while the conversation was busy: no form opened")
            return False
        return True

    async def pause(self, conversation_id: str) -> None:
        """The bot stops answering this conversation (a person has taken it over).

        Rasa still logs the citizen's messages, so they keep reaching the
        event broker and the console."""
        await self._append(conversation_id, [{"event": "pause", "timestamp": time.time()}])

    async def resume(self, conversation_id: str) -> None:
        """The bot answers again, from a clean state: a form that was asking
        (e.g. where the emergency is) when the person took over is closed, or
        the citizen's next words would be read as its answer."""
        now = time.time()
        await self._append(
            conversation_id,
            [
                {"event": "active_loop", "name": None, "timestamp": now},
                {"event": "slot", "name": "requested_slot", "value": None, "timestamp": now},
                {"event": "resume", "timestamp": now},
            ],
        )

    async def _append(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        url = f"{self._url}/conversations/{quote(conversation_id, safe='')}/tracker/events"
        # Rasa answers with the whole tracker unless told not to: a long
        # conversation would be serialised on every message the city sends.
        params = {"include_events": "NONE", **({"token": self._token} if self._token else {})}
        async with http.session().post(
            url, params=params, json=events, timeout=self._timeout
        ) as response:
            if response.status >= 400:
                raise RuntimeError(f"Rasa answered {response.status}: {await response.text()}")

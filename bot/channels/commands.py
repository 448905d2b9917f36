"""A text starting with "/" is a command only when the bot offered it.

Rasa reads any text of the form `/intent{"slot": ...}` as that intent with
those entities, on every channel, and `/restart` resets a conversation. A
citizen (or a script) typing such a text could set any slot or skip the
form. So a channel passes a text starting with "/" on as a command only when
it equals a button payload the bot offered in its replies since the
citizen's last message; any other such text reaches the NLU as plain words.
The commands a channel builds itself from what it verified (a shared pin, a
stored photo) are not subject to this: the channel made them, not the user.
"""

from __future__ import annotations

import logging
from typing import (
    Any,
    Awaitable,
    Callable,
    Collection,
    Dict,
    Iterable,
    List,
    Optional,
    Sequence,
    Set,
)

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, Sanic

logger = logging.getLogger(__name__)

COMMAND_PREFIX = "/"
MAX_TITLE = 40  # longer texts are never a button's title: no tracker read for them

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
# Given the message, the command the channel itself built from verified data
# (e.g. "/share_photo"), or None.
Rebuild = Callable[[UserMessage], Optional[str]]


def sanitize(text: str, offered: Collection[str]) -> str:
    """The text Rasa may read: an offered payload as is; any other "/..." as words."""
    stripped = text.strip()
    if not stripped.startswith(COMMAND_PREFIX) or stripped in offered:
        return text
    return stripped.lstrip(COMMAND_PREFIX).strip()


def offered_buttons(events: Iterable[Event]) -> List[Dict[str, str]]:
    """The buttons of the bot's messages after the user's last message."""
    offered: List[Dict[str, str]] = []
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for button in (event.data or {}).get("buttons") or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    offered.append({"title": str(button.get("title") or ""), **button})
    return offered


def offered_payloads(events: Iterable[Event]) -> Set[str]:
    """The button payloads of the bot's messages after the user's last message."""
    return {button["payload"] for button in offered_buttons(events)}


def typed_button(text: str, buttons: Sequence[Dict[str, str]]) -> Optional[str]:
    """The payload of the offered button whose title the citizen typed: "lewati"
    typed in the widget is the "Lewati" button, whatever the NLU would make of
    the word (WhatsApp, which has no buttons, does the same with numbers too)."""
    typed = " ".join(text.lower().split()).rstrip(".!")
    return next((b["payload"] for b in buttons if b["title"].strip().lower() == typed), None)


class _Agent:
    """The running agent, for reading what the bot last offered a conversation."""

    app: Optional[Sanic] = None

    @classmethod
    async def offered(cls, sender_id: str) -> List[Dict[str, str]]:
        agent = getattr(cls.app.ctx, "agent", None) if cls.app else None
        if agent is None or agent.tracker_store is None:
            return []
        tracker = await agent.tracker_store.retrieve(sender_id)
        return offered_buttons(tracker.events) if tracker else []


def remember_agent(blueprint: Blueprint) -> None:
    """Lets `guarded` find the agent of the app this blueprint is served by."""

    @blueprint.listener("before_server_start")
    async def _remember(app: Sanic, _loop: Any) -> None:
        _Agent.app = app


def guarded(on_new_message: OnNewMessage, rebuild: Optional[Rebuild] = None) -> OnNewMessage:
    """Wraps a channel's `on_new_message` so only offered commands pass."""

    async def handle(message: UserMessage) -> Any:
        built = rebuild(message) if rebuild else None
        if built is not None:
            message.text = built
        elif message.text and message.text.strip().startswith(COMMAND_PREFIX):
            offered = {b["payload"] for b in await _Agent.offered(message.sender_id)}
            text = sanitize(message.text, offered)
            if text != message.text:
                logger.info("a typed command was read as plain text (not offered)")
            message.text = text
        elif message.text and len(message.text) <= MAX_TITLE:
            chosen = typed_button(message.text, await _Agent.offered(message.sender_id))
            message.text = chosen or message.text
        return await on_new_message(message)

    return handle

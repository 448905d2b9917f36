"""A long conversation starts a new session once it is at rest, so turns stay cheap.

Every turn Rasa loads the tracker's current session, runs the policies over it,
sends it whole to the action server (once per custom action) and saves it
again: a turn costs in proportion to the session's length. A WhatsApp citizen
who files one report after another and checks on them within the idle
expiry (session_config) would make every turn slower than the last.

`install()` lets Rasa start a new session at the start of a citizen's turn
when the session holds more than `max_events` events and is at rest: no form
is open, no person has taken the conversation over, and the bot's last action
closed a piece of business (a report filed or explained, a status answered).
Nothing of the conversation's state is lost: every slot is carried into the
new session, as Rasa's own session start does with carry-over on. The rules
(data/dialogue/rules.yml) look at the current message, the open form and the
slots, never at the actions of an earlier turn, so the next prediction is the
same. The earlier session stays in the backend's conversation log (the
console shows "Sesi baru dimulai").

Rasa offers no hook for this: MessageProcessor._update_tracker_session is
wrapped once, at start-up of `python -m bot` (bot/__main__.py).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot import patching

logger = logging.getLogger(__name__)

# After these the conversation is at rest: the next message is read on its own.
CLOSING_ACTIONS = frozenset(
    {
        "action_submit_report",
        "action_notify_report_filed",
        "action_notify_report_not_filed",
        "action_check_status",
    }
)

UpdateSession = Callable[..., Awaitable[None]]


def install(max_events: int) -> None:
    """Wraps the session check; `max_events` <= 0 turns it off."""
    patching.wrap(
        MessageProcessor, "_update_tracker_session", lambda rasas: rolling_over(rasas, max_events)
    )


def rolling_over(update: UpdateSession, max_events: int) -> UpdateSession:
    async def update_session(
        self: MessageProcessor,
        tracker: DialogueStateTracker,
        output_channel: Any,
        metadata: Optional[dict] = None,
    ) -> None:
        if due(tracker, max_events) and not self._has_session_expired(tracker):
            for event in new_session(tracker):
                tracker.update(event, self.domain)
            logger.debug("a long conversation at rest starts a new session")
            return
        await update(self, tracker, output_channel, metadata)

    return update_session


def due(tracker: DialogueStateTracker, max_events: int) -> bool:
    """Whether the session is long and at rest, so a new one may start now."""
    if max_events <= 0 or len(tracker.events) <= max_events:
        return False
    if tracker.is_paused() or tracker.active_loop_name:
        return False
    return last_action(tracker) in CLOSING_ACTIONS


def last_action(tracker: DialogueStateTracker) -> Optional[str]:
    """The bot's last action other than listening."""
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def new_session(tracker: DialogueStateTracker) -> List[Event]:
    """The events of a session start that carries every slot over."""
    carried: List[Event] = [
        SlotSet(name, slot.value)
        for name, slot in tracker.slots.items()
        if slot.value != slot.initial_value
    ]
    return [
        ActionExecuted(ACTION_SESSION_START_NAME),
        SessionStarted(),
        *carried,
        ActionExecuted(ACTION_LISTEN_NAME),
    ]

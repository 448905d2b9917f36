"""When the action server cannot be reached, the citizen is told so.

Rasa logs a failed custom action and carries on with no events: the citizen
who just described a problem hears nothing, or hears a form's next question
while nothing was checked or kept. `install()` changes that: when a call to
the action server fails (down, refused, 5xx, timeout), the turn ends there
with `utter_system_unavailable` (not processed, please send it again, call 112
in an emergency), and the citizen's message is reverted, so the message sent
again starts from where the conversation was. A rejection by the action
server (a form's validation, HTTP 400) is Rasa's normal flow and passes.

Rasa offers no hook for this, so two methods are wrapped once, at start-up of
`python -m bot` (bot/__main__.py), never on import: RemoteAction.run notes
the failure, MessageProcessor._run_action (which swallows it) explains it.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, Event, UserUtteranceReverted
from rasa.shared.exceptions import RasaException

from bot import patching

logger = logging.getLogger(__name__)

UNAVAILABLE = "utter_system_unavailable"
# The name of the custom action that could not run in this turn (per asyncio task).
_failed: ContextVar[Optional[str]] = ContextVar("lapor_failed_action", default=None)

RunRemote = Callable[..., Awaitable[List[Event]]]
RunAction = Callable[..., Awaitable[bool]]


def install() -> None:
    """Wraps both methods."""
    patching.wrap(RemoteAction, "run", noting_failures)
    patching.wrap(MessageProcessor, "_run_action", explaining_failures)


def noting_failures(run: RunRemote) -> RunRemote:
    async def run_noted(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> List[Event]:
        try:
            return await run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except RasaException:
            _failed.set(self.name())
            raise

    return run_noted


def explaining_failures(run_action: RunAction) -> RunAction:
    async def run_action_explained(
        self: MessageProcessor,
        action: Any,
        tracker: Any,
        output_channel: Any,
        nlg: Any,
        prediction: Any,
    ) -> bool:
        _failed.set(None)
        predict_more = await run_action(self, action, tracker, output_channel, nlg, prediction)
        failed = _failed.get()
        if failed is None:
            return predict_more
        _failed.set(None)
        logger.error("the action server did not run %s: the citizen is told", failed)
        response = await nlg.generate(UNAVAILABLE, tracker, output_channel.name())
        text = str((response or {}).get("text") or "")
        tracker.update(BotUttered(text, metadata={"utter_action": UNAVAILABLE}))
        # The message was not processed: the conversation goes back to before it.
        tracker.update(UserUtteranceReverted())
        await output_channel.send_response(tracker.sender_id, {"text": text})
        return False  # nothing more this turn: listen

    return run_action_explained

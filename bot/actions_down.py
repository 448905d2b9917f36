"""When the action server cannot be reached, the citizen is told so.

Rasa logs a failed custom action and carries on with no events: the citizen
who just described a problem hears nothing at all, and may think it was
recorded. `install()` wraps Rasa's RemoteAction so that a failure to reach
the action server (down, refused, 5xx, timeout) answers with
`utter_system_unavailable` (nothing was recorded, please send it again, call
112 in an emergency) and ends the turn, instead of silence. A rejection by
the action server (a form's validation, HTTP 400) is Rasa's normal flow and
passes through untouched.

Rasa offers no hook for this, so the method is wrapped once, at start-up of
`python -m bot` (bot/__main__.py), never on import.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, FollowupAction
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

UNAVAILABLE = "utter_system_unavailable"
RunAction = Callable[..., Awaitable[List[Event]]]


def install() -> None:
    """Wraps RemoteAction.run (idempotent)."""
    if getattr(RemoteAction.run, "_lapor_wrapped", False):
        return
    RemoteAction.run = wrap(RemoteAction.run)


def wrap(run: RunAction) -> RunAction:
    async def guarded_run(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> List[Event]:
        try:
            return await run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except RasaException as exc:
            logger.error("action %s failed, the citizen is told: %s", self.name(), exc)
            if _already_told(tracker):
                return [FollowupAction("action_listen")]
            response = await nlg.generate(UNAVAILABLE, tracker, output_channel.name())
            message = BotUttered(
                (response or {}).get("text"), metadata={"utter_action": UNAVAILABLE}
            )
            return [message, FollowupAction("action_listen")]

    guarded_run._lapor_wrapped = True  # type: ignore[attr-defined]
    return guarded_run


def _already_told(tracker: Any) -> bool:
    """Whether this turn already said it (several actions may fail in one turn)."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            if (event.metadata or {}).get("utter_action") == UNAVAILABLE:
                return True
        elif isinstance(event, ActionExecuted) and event.action_name == "action_listen":
            return False
    return False

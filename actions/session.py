"""A new conversation session that keeps a question the city is waiting on.

Rasa starts a new session when the citizen's last message is older than
session_expiration_time, and a new session forgets the open form. A staff
question or a closure check is often answered days after the citizen last
wrote, so the form the backend opened (lapor/conversations.py) is carried
into the new session with its slots, for as long as the city waits on that
answer (data/deadlines.yml, lapor/waits.py): after that the citizen's next
words are a new conversation, not the answer to an old question. Nothing
else is carried over.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.ticket_dialogue import ANSWER_FORM, ANSWER_SLOTS, CLOSURE_FORM, CLOSURE_SLOTS
from lapor import waits

logger = logging.getLogger(__name__)

CARRIED = {ANSWER_FORM: ANSWER_SLOTS, CLOSURE_FORM: CLOSURE_SLOTS}
METADATA_SLOT = "session_started_metadata"


class SessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        metadata: Any = tracker.get_slot(METADATA_SLOT)
        if metadata:
            events.append(SlotSet(METADATA_SLOT, metadata))
        form = (tracker.active_loop or {}).get("name")
        if form in CARRIED and still_waiting(tracker, form, time.time()):
            events += [SlotSet(slot, tracker.get_slot(slot)) for slot in CARRIED[form]]
            events += [
                ActiveLoop(form),
                SlotSet("requested_slot", tracker.get_slot("requested_slot")),
            ]
        events.append(ActionExecuted("action_listen"))
        return events


def _waits() -> Dict[str, timedelta]:
    loaded = waits.default()
    return {ANSWER_FORM: loaded.question, CLOSURE_FORM: loaded.closure}


def still_waiting(tracker: Tracker, form: str, now: float) -> bool:
    """Whether the city still waits on the answer `form` takes (opened when?)."""
    opened = _opened_at(tracker, form)
    if opened is not None and now - opened <= _waits()[form].total_seconds():
        return True
    logger.info("an unanswered %s ended with its wait", form)
    return False


def _opened_at(tracker: Tracker, form: str) -> Optional[float]:
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == form:
            stamp = event.get("timestamp")
            return float(stamp) if isinstance(stamp, (int, float)) else None
    return None

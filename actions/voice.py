"""A citizen's voice note ("/share_voice", bot/channels/whatsapp.py).

The channel had the backend store it and put its URL in the message's
metadata under "voice_urls" (never "media_urls": no photo step may take it).
Nothing listens to it yet, so the bot says so and asks for a written
answer. During a complaint its URL is kept in the `voice_notes` slot until
the report is filed or cancelled; the form then asks its question again
(data/dialogue/rules.yml). The conversation pipeline keeps every voice note
with the conversation, where staff and 112 operators can play it.
"""

from __future__ import annotations

from typing import Any, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.settings import get_settings
from lapor import mediaurls

VOICE_SLOT = "voice_notes"
MAX_KEPT = 10  # voice notes per report: more are in the conversation all the same


def voice_urls(tracker: Tracker) -> List[str]:
    """The latest message's voice notes the backend stored; never a link typed in."""
    metadata = tracker.latest_message.get("metadata") or {}
    return mediaurls.stored_media(metadata.get("voice_urls"), get_settings().backend_urls)


class VoiceNote(Action):
    def name(self) -> Text:
        return "action_voice_note"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        form = (tracker.active_loop or {}).get("name")
        if form == "report_form":
            dispatcher.utter_message(text=texts.VOICE_IN_REPORT)
            return self._kept(tracker)
        if form == "emergency_form":
            dispatcher.utter_message(text=texts.VOICE_IN_EMERGENCY)
            return []
        dispatcher.utter_message(response="utter_voice_note")
        return []

    @staticmethod
    def _kept(tracker: Tracker) -> List[EventType]:
        earlier: Any = tracker.get_slot(VOICE_SLOT)
        kept = [str(u) for u in earlier] if isinstance(earlier, list) else []
        new = [u for u in voice_urls(tracker) if u not in kept]
        if not new:
            return []
        return [SlotSet(VOICE_SLOT, (kept + new)[:MAX_KEPT])]

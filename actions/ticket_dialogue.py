"""The citizen answers the city about a ticket they reported.

The backend opens these forms in the conversation when it delivers a
message that expects an answer (lapor/conversations.py):

- `staff_answer_form`: a staff member asked a question ("di sebelah mana
  persisnya?"); the next message, text, photo or pin, is the answer, posted
  to the ticket's thread instead of starting a new complaint;
- `closure_form`: staff marked the ticket done; the citizen says whether it
  is fixed ("belum" reopens it, with their words) and may rate the handling.

Emergencies still interrupt both (data/dialogue/rules.yml).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import latest, places, texts
from actions.backend_client import BackendRejected, BackendUnavailable, TicketDialogueClient
from actions.form import is_skip
from actions.report import SKIPPED
from actions.settings import ActionSettings, get_settings
from lapor import mediaurls
from lapor.normalize import load_lexicon, normalize_word

logger = logging.getLogger(__name__)

ANSWER_FORM, CLOSURE_FORM = "staff_answer_form", "closure_form"
ANSWER_SLOTS = ("answering_ticket", "staff_answer")
CLOSURE_SLOTS = ("closing_ticket", "closure_fixed", "closure_words", "closure_rating")
# Words that settle "sudah beres?" once slang is normalised (data/lexicon/slang.yml).
FIXED_WORDS = {"sudah", "beres", "selesai", "oke", "ok", "mantap", "bagus", "alhamdulillah"}
NOT_FIXED_WORDS = {"belum", "masih", "tidak", "rusak", "mati", "kurang"}
RATING = re.compile(r"(?<!\d)([1-5])(?!\d)")


def words_of(text: str) -> List[str]:
    lexicon = load_lexicon()
    return [normalize_word(w, lexicon) for w in re.findall(r"[^\W_]+", text)]


def verdict(intent: Optional[str], text: str) -> Optional[bool]:
    """Whether "sudah beres?" was answered yes (True), no (False), or not at all."""
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    words = set(words_of(text))
    if words & NOT_FIXED_WORDS:
        return False
    if words & FIXED_WORDS:
        return True
    return None


def rating_of(text: str) -> Optional[int]:
    """'4', '⭐⭐⭐⭐', 'nilai 5': a rating from 1 to 5; None when there is none."""
    stars = text.count("⭐")
    if 1 <= stars <= 5:
        return stars
    found = RATING.findall(text)
    return int(found[0]) if len(found) == 1 else None


def _media(tracker: Tracker) -> Optional[str]:
    metadata = tracker.latest_message.get("metadata") or {}
    urls = mediaurls.stored_media(metadata.get("media_urls"), get_settings().backend_urls)
    return urls[0] if urls else None


class ValidateStaffAnswerForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_staff_answer_form"

    async def extract_staff_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        answer: Dict[str, Any] = {}
        text, photo, pin = latest.text(tracker), _media(tracker), places.pin_of(tracker)
        if text:
            answer["text"] = text[:4000]
        if photo:
            answer["media_url"] = photo
        if pin:
            answer["latitude"], answer["longitude"] = pin
        # Nothing usable (an empty message): asked again.
        return {"staff_answer": answer or None}


class SubmitStaffAnswer(Action):
    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        self.settings = settings or get_settings()

    def name(self) -> Text:
        return "action_submit_staff_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ticket, answer = tracker.get_slot("answering_ticket"), tracker.get_slot("staff_answer")
        reset: List[EventType] = [SlotSet(slot, None) for slot in ANSWER_SLOTS]
        if not ticket or not isinstance(answer, dict):
            return reset
        try:
            keyed = {**answer, "key": latest.message_key(tracker)}
            await TicketDialogueClient(self.settings).answer(ticket, keyed)
        except BackendUnavailable:
            # Not stored: the question stays open, and the citizen knows to send it again.
            dispatcher.utter_message(text=texts.ANSWER_NOT_SENT.format(ticket=ticket))
            return [
                SlotSet("staff_answer", None),
                ActiveLoop(ANSWER_FORM),
                SlotSet("requested_slot", "staff_answer"),
            ]
        except BackendRejected as exc:
            logger.warning("backend refused an answer: %s", exc)
            dispatcher.utter_message(text=texts.ANSWER_REFUSED.format(ticket=ticket))
            return reset
        dispatcher.utter_message(text=texts.ANSWER_SENT.format(ticket=ticket))
        return reset


class ValidateClosureForm(FormValidationAction):
    """Three questions, each skipped when it does not apply: fixed? (always),
    what is still wrong? (when not fixed and not said yet), rating? (when fixed)."""

    def name(self) -> Text:
        return "validate_closure_form"

    async def extract_closure_fixed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "closure_fixed":
            return {}
        text = latest.text(tracker)
        fixed = verdict(latest.intent(tracker), text)
        if fixed is None:
            dispatcher.utter_message(text=texts.CLOSURE_UNCLEAR)
            return {"closure_fixed": None}
        # "belum, lampunya masih mati": the words came with the no.
        said = text if len(words_of(text)) > 2 else None
        if fixed:
            return {"closure_fixed": True, "closure_words": said or SKIPPED}
        return {"closure_fixed": False, "closure_words": said, "closure_rating": SKIPPED}

    async def extract_closure_words(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "closure_words":
            return {}
        text = latest.text(tracker)
        return {"closure_words": text[:4000] if len(text) >= 3 else None}

    async def extract_closure_rating(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "closure_rating":
            return {}
        text = latest.text(tracker) or tracker.latest_message.get("text") or ""
        rating = rating_of(text.lstrip("/"))
        if rating:
            return {"closure_rating": rating}
        if latest.intent(tracker) == "deny" or is_skip(text):
            return {"closure_rating": SKIPPED}
        return {"closure_rating": None}


class SubmitClosure(Action):
    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        self.settings = settings or get_settings()

    def name(self) -> Text:
        return "action_submit_closure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        reset: List[EventType] = [SlotSet(slot, None) for slot in CLOSURE_SLOTS]
        ticket, fixed = tracker.get_slot("closing_ticket"), tracker.get_slot("closure_fixed")
        if not ticket or not isinstance(fixed, bool):
            return reset
        words, rating = tracker.get_slot("closure_words"), tracker.get_slot("closure_rating")
        body: Dict[str, Any] = {"fixed": fixed}
        if words and words != SKIPPED:
            body["words"] = words
        if isinstance(rating, (int, float)) and not isinstance(rating, bool):
            body["rating"] = int(rating)
        try:
            await TicketDialogueClient(self.settings).verdict(ticket, body)
        except BackendUnavailable:
            dispatcher.utter_message(text=texts.CLOSURE_NOT_SENT.format(ticket=ticket))
            return [
                SlotSet("closure_fixed", None),
                SlotSet("closure_words", None),
                SlotSet("closure_rating", None),
                ActiveLoop(CLOSURE_FORM),
                SlotSet("requested_slot", "closure_fixed"),
            ]
        except BackendRejected as exc:
            logger.info("closure verdict not taken: %s", exc)
            dispatcher.utter_message(text=texts.CLOSURE_CLOSED.format(ticket=ticket))
            return reset
        done = texts.CLOSURE_THANKS if fixed else texts.CLOSURE_REOPENED
        dispatcher.utter_message(text=done.format(ticket=ticket))
        return reset

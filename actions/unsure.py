"""When the NLU is unsure, a real complaint is never dismissed.

A message below the fallback threshold used to get the rephrase menu alone.
A citizen who took the trouble to write a complaint and gets "maaf, kami
belum memahami" does not come back, so a message that looks like a complaint
(long enough and holding a complaint word, a place or a programme; data/
lexicon/complaint_cues.yml) is offered the likely categories and "laporkan
saja": filed as "Lainnya" for Diskominfo to sort, with the citizen's own
words kept as its description. Short chit-chat, greetings and pranks still
get the short answer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Text

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import latest, places, texts
from actions.catalogue import category_name, category_of_intent
from lapor.normalize import load_lexicon, normalize_word
from lapor.paths import DATA

CUES_FILE = DATA / "lexicon" / "complaint_cues.yml"
OTHER = "other"  # the service "Lainnya": Diskominfo sorts it (data/services.yml)
MIN_WORDS = 4  # fewer words: "p", "halo min", "tes 123" are not complaints
MIN_WORDS_WITHOUT_CUE = 8  # a long message is a complaint even in words we lack
# The categories the NLU still found plausible, offered as buttons.
MAX_OFFERED, MIN_CONFIDENCE = 3, 0.05
# Entities that say a message is about a place or a programme.
TELLING_ENTITIES = frozenset({"location", "kelurahan", "rt_rw", "programme", "facility"})
# Intents whose words make a message unsure without making it a complaint.
DISMISSED = frozenset({"prank", "greet", "goodbye", "thank"})


@lru_cache(maxsize=1)
def cues() -> FrozenSet[str]:
    raw = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8")) or {}
    return frozenset(str(w).lower() for group in raw.values() for w in group or [])


def words_of(text: str) -> List[str]:
    lexicon = load_lexicon()
    return [normalize_word(w, lexicon) for w in re.findall(r"[^\W_]+", text)]


def looks_like_complaint(
    text: str, entities: Sequence[Dict[str, Any]], ranking: Sequence[Dict[str, Any]]
) -> bool:
    """Whether an unsure message reads as a complaint rather than chit-chat."""
    words = words_of(text)
    if len(words) < MIN_WORDS:
        return False
    top = next((r.get("name") for r in ranking if r.get("name") != "nlu_fallback"), None)
    if top in DISMISSED and len(words) < MIN_WORDS_WITHOUT_CUE:
        return False
    if any(e.get("entity") in TELLING_ENTITIES for e in entities):
        return True
    return bool(set(words) & cues()) or len(words) >= MIN_WORDS_WITHOUT_CUE


def likely_categories(ranking: Sequence[Dict[str, Any]]) -> List[str]:
    """The complaint categories the NLU found plausible, most likely first."""
    found: List[str] = []
    for item in ranking:
        code = category_of_intent(item.get("name"))
        if code and code not in found and float(item.get("confidence") or 0) >= MIN_CONFIDENCE:
            found.append(code)
    return found[:MAX_OFFERED]


class Unsure(Action):
    def name(self) -> Text:
        return "action_unsure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        message = tracker.latest_message
        text = latest.text(tracker)
        ranking = message.get("intent_ranking") or []
        if not looks_like_complaint(text, message.get("entities") or [], ranking):
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        buttons = [
            {"title": category_name(code), "payload": _choose(code)}
            for code in likely_categories(ranking)
        ]
        buttons.append({"title": "Laporkan saja, petugas yang memilah", "payload": _choose(OTHER)})
        dispatcher.utter_message(text=texts.UNSURE_OFFER, buttons=buttons)
        # Kept for the form the chosen button starts: the citizen's words are
        # the report's description, their place its location.
        place = places.from_entities(tracker)
        return [SlotSet("unsure_text", text[:3500]), *_place_events(place)]


def _choose(code: str) -> str:
    return f'/choose_category{{"category":"{code}"}}'


def _place_events(place: Optional[places.Place]) -> List[EventType]:
    return [SlotSet(k, v) for k, v in place.slots().items()] if place else []

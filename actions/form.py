"""The complaint form: extracts and validates category, place, description,
photo and the citizen's confirmation (slots of `report_form`)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import details, latest, places, texts, understood
from actions.catalogue import catalogue, category_of_intent, numbered_categories
from actions.report import FOLLOW, PLACE_SLOTS, SKIPPED
from actions.settings import get_settings
from lapor import mediaurls
from lapor.normalize import load_lexicon, normalize_word

# Messages that never answer a form question: the conversation turns elsewhere.
NOT_AN_ANSWER = {
    "emergency_fire",
    "emergency_accident",
    "emergency_medical",
    "emergency_disaster",
    "emergency_crime",
    "prank",
    "check_status",
    "cancel_report",
    "greet",
    "goodbye",
    "thank",
    "ask_help",
    "out_of_scope",
    # A voice note (actions/voice.py keeps its link): no answer in words.
    "share_voice",
}
FIELDS = {
    "category": "category",
    "location": "location",
    "description": "description",
    "photo": "photo",
    "1": "category",
    "2": "location",
    "3": "description",
    "4": "photo",
    "kategori": "category",
    "lokasi": "location",
    "alamat": "location",
    "keterangan": "description",
    "foto": "photo",
    "details": "details",
    "5": "details",
    "detail": "details",
    "rincian": "details",
}
COMPANION_SLOTS = (*PLACE_SLOTS, "correcting", "follow_similar", "attributes", "other_problem")


class ValidateReportForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_report_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if not tracker.get_slot("correcting"):
            return domain_slots
        # The citizen said the summary is wrong: ask which part first.
        slots = [s for s in domain_slots if s != "confirmed"]
        return [*slots, "fix_field", "confirmed"]

    # --- extraction -------------------------------------------------------

    async def extract_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        requested = tracker.get_slot("requested_slot")
        chosen = places.entity_values(tracker, "category")
        if chosen and catalogue().service(chosen[0]):
            return {"category": chosen[0]}
        if requested == "category" and latest.text(tracker) in numbered_categories():
            return {"category": numbered_categories()[latest.text(tracker)]}
        category = category_of_intent(latest.intent(tracker))
        current = tracker.get_slot("category")
        # Later answers (a place, a description) can sound like another
        # category; only the opening message, the category question or a
        # correction of the summary may set it.
        if category and (current is None or requested in ("category", "confirmed")):
            return {"category": category} if category != current else {}
        return {}

    async def extract_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        pin = places.pin_of(tracker)
        if pin:
            return self._pin_slots(dispatcher, *pin)
        carried = _carried(tracker)
        if carried and not tracker.get_slot("location"):
            return {s: carried.get(s) for s in ("location", *PLACE_SLOTS)}
        requested = tracker.get_slot("requested_slot")
        if latest.intent(tracker) in NOT_AN_ANSWER:
            return {}
        # A place mentioned while describing the problem must not replace the
        # one already given; it counts at the start, when asked, or as a fix.
        if tracker.get_slot("location") and requested not in ("location", "confirmed"):
            return {}
        kind = service.place if (service := details.service_of(tracker)) else "street"
        place = _named_facility(tracker, kind) or places.from_entities(tracker)
        if place is None and requested == "location" and latest.text(tracker):
            place = places.from_text(latest.text(tracker))
        if place and kind == "household" and requested == "location":
            place = places.with_kelurahan(place, latest.text(tracker))
        if place and kind == "household" and not place.kelurahan:
            # Social aid and civil registry are about a household: its
            # kelurahan, not a street ("depan rumah" says nothing).
            if requested == "location":
                dispatcher.utter_message(text=texts.ASK_KELURAHAN)
                return {"location": None}  # answered, but not enough: asked again
            return {}
        return place.slots() if place else {}

    async def extract_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text, intent = latest.text(tracker), latest.intent(tracker)
        kept = tracker.get_slot("unsure_text")
        chosen = not text and intent == "choose_category" and _answers_the_offer(tracker)
        if chosen and kept and not tracker.get_slot("description"):
            # A category chosen from the unsure offer (actions/unsure.py): the
            # message before the button is what the citizen wrote.
            return {"description": kept}
        carried = _carried(tracker)
        if carried and not tracker.get_slot("description"):
            return {"description": carried.get("description")}
        if not text or intent in NOT_AN_ANSWER:
            return {}
        requested = tracker.get_slot("requested_slot")
        opening = tracker.get_slot("description") is None and category_of_intent(intent)
        if requested == "description" or (opening and requested is None):
            return {"description": text}
        return {}

    async def extract_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text, intent = latest.text(tracker), latest.intent(tracker)
        return details.extract(
            dispatcher,
            tracker,
            skip=intent == "deny" or is_skip(text),
            not_an_answer=intent in NOT_AN_ANSWER,
        )

    async def extract_photo(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        # Only photos the backend stored; never a link typed into the chat.
        urls = mediaurls.stored_media(_media_urls(tracker), get_settings().backend_urls)
        if urls:
            return {"photo": urls[0]}
        if tracker.get_slot("requested_slot") != "photo":
            return {}
        text, intent = latest.text(tracker), latest.intent(tracker)
        if intent == "deny" or is_skip(text):
            return {"photo": SKIPPED}
        if text and intent not in NOT_AN_ANSWER and intent != "affirm":
            # More detail instead of a photo: keep it with the description.
            description = tracker.get_slot("description") or ""
            return {"photo": SKIPPED, "description": f"{description}. {text}".strip(". ")}
        return {}

    async def extract_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "confirmed":
            return {}
        intent = latest.intent(tracker)
        if tracker.get_slot("similar_ticket") and self._follows(tracker):
            return {"confirmed": True, "follow_similar": True}
        if intent == "affirm":
            return {"confirmed": True}
        if intent == "deny":
            return {"confirmed": False}
        return {}

    @staticmethod
    def _follows(tracker: Tracker) -> bool:
        """The "Ikuti KDR-…" button, or the word typed ("ikuti saja")."""
        if next(tracker.get_latest_entity_values(FOLLOW), None) is not None:
            return True
        lexicon = load_lexicon()
        typed = {normalize_word(w, lexicon) for w in re.findall(r"[^\W_]+", latest.text(tracker))}
        return bool(typed & {"ikuti", "ikut", "melu", "follow"})

    async def extract_fix_field(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "fix_field":
            return {}
        chosen = places.entity_values(tracker, "field") or [latest.text(tracker).lower()]
        field = FIELDS.get(chosen[0].strip())
        return {"fix_field": field} if field else {}

    # --- validation -------------------------------------------------------

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        # rasa_sdk drops every slot that is not a required slot of the form,
        # even one an extract_/validate_ method set; the kelurahan, coordinates
        # and correction flag travel with their required slot, so add them back.
        extracted = tracker.slots_to_validate()
        before = {slot: tracker.get_slot(slot) for slot in COMPANION_SLOTS}
        events = await super().get_validation_events(dispatcher, tracker, domain)
        named = {e["name"] for e in events}
        return events + [
            SlotSet(slot, tracker.get_slot(slot))
            for slot in COMPANION_SLOTS
            if slot not in named and (slot in extracted or tracker.get_slot(slot) != before[slot])
        ]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        opening = tracker.get_slot("category") is None
        events = await super().run(dispatcher, tracker, domain)
        if opening and tracker.get_slot("category"):
            events += self._understood(dispatcher, tracker)
        return events

    @staticmethod
    def _understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """Says what the opening message was understood as, before any question,
        so a misunderstanding is corrected at once; notes a second problem."""
        service = details.service_of(tracker)
        if service is None:
            return []
        dispatcher.utter_message(text=understood.acknowledgement(service, tracker.slots))
        other = understood.second_problem(latest.text(tracker), service.code)
        if other is None:
            # An offer taken (or left) is spent once another report starts.
            return [SlotSet("other_problem", None)] if tracker.get_slot("other_problem") else []
        code, text = other
        name = catalogue().services[code].short_name
        dispatcher.utter_message(text=texts.UNDERSTOOD_ALSO.format(other=name))
        return [SlotSet("other_problem", {"category": code, "description": text})]

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "").strip()
        if len(text) < 3:
            dispatcher.utter_message(response="utter_description_too_short")
            return {"description": None}
        return {"description": text[:3500]}

    def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is True:
            return {"confirmed": True}
        corrected = places.from_entities(tracker) or places.pin_of(tracker)
        if corrected or category_of_intent(latest.intent(tracker)):
            # "bukan, lokasinya di jl. kawi": the fix came with the "no";
            # show the summary again.
            return {"confirmed": None}
        return {"confirmed": None, "correcting": True}

    def validate_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        # A new category at the summary step: show the summary again.
        if tracker.get_slot("requested_slot") == "confirmed":
            return {"category": value, "confirmed": None}
        return {"category": value}

    def validate_fix_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        reset: Dict[Text, Any] = {value: None, "fix_field": None, "correcting": False}
        if value == "location":
            reset.update({s: None for s in PLACE_SLOTS})
        if value == "details":
            reset["attributes"] = {}
        return reset

    def _pin_slots(
        self, dispatcher: CollectingDispatcher, lat: float, lon: float
    ) -> Dict[str, Any]:
        area = places.locate_pin(lat, lon)
        if area is None:
            dispatcher.utter_message(text=texts.OUTSIDE_CITY)
            return {}
        dispatcher.utter_message(
            text=texts.PIN_RECEIVED.format(kelurahan=area.name, kecamatan=area.kecamatan)
        )
        return places.Place(
            location=texts.PIN_ADDRESS.format(lat=lat, lon=lon),
            kelurahan=area.name,
            kelurahan_code=area.code,
            latitude=lat,
            longitude=lon,
        ).slots()


def _carried(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The second problem of a filed report's message, when the citizen took
    the offer to file it: its words and the same place (actions/submit.py)."""
    other = tracker.get_slot("other_problem")
    chosen = places.entity_values(tracker, "category")
    if isinstance(other, dict) and chosen and other.get("category") == chosen[0]:
        return other
    return None


def _named_facility(tracker: Tracker, kind: str) -> Optional[places.Place]:
    """For a school or health complaint: the facility the message names, as the
    shipped list spells it."""
    if kind not in ("school", "health"):
        return None
    named = [*places.entity_values(tracker, "facility"), latest.text(tracker)]
    return next((p for p in (places.facility(t, kind) for t in named if t) if p), None)


def is_skip(text: str) -> bool:
    """'lewati', 'skip', or a short no ('ra ono foto', 'gak ada') to the photo question."""
    lexicon = load_lexicon()
    words = [normalize_word(w, lexicon) for w in re.findall(r"[^\W_]+", text)]
    if any(w in ("lewati", "lewat", "skip", "next", "lanjut") for w in words):
        return True
    return "tidak" in words and len(words) <= 4


def _answers_the_offer(tracker: Tracker) -> bool:
    """Whether the bot's last action before this message was the unsure offer:
    its kept text is this report's, not a stale one from earlier."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") not in ("action_listen", None):
            return event.get("name") == "action_unsure"
    return False


def _media_urls(tracker: Tracker) -> List[str]:
    metadata = tracker.latest_message.get("metadata") or {}
    urls = metadata.get("media_urls")
    return [str(u) for u in urls] if isinstance(urls, list) else []

"""Emergencies: answer at once with the 112 call instruction, then get the place.

Nothing here reaches a 112 operator yet, so the bot never says it recorded
the place: it repeats it for the citizen to give on the phone, and keeps it in
the conversation's slots (the operator hand-off will read them from there).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import latest, places
from actions.form import NOT_AN_ANSWER

CALL_112 = "📞 Segera telepon *112* (gratis, 24 jam): tel:112"
# Shown in the web widget as a tap-to-call button; other channels get the text.
# Wrapped in "data": Rasa's socket.io channel emits a custom payload's keys as
# arguments of its emit call, and "data" is the one that reaches the browser.
CALL_PAYLOAD = {"data": {"type": "call", "label": "Telepon 112", "href": "tel:112"}}

ADVICE = {
    "emergency_fire": "🔥 Kebakaran: jauhi api dan asap, jangan masuk kembali ke bangunan, "
    "matikan listrik/gas bila aman.",
    "emergency_accident": "🚑 Kecelakaan: amankan lokasi, jangan memindahkan korban yang "
    "tidak sadar kecuali ada bahaya api.",
    "emergency_medical": "🚑 Darurat medis: tetap dampingi korban, pastikan bisa bernapas, "
    "jangan beri makan/minum bila tidak sadar.",
    "emergency_disaster": "⚠️ Bencana: menjauh dari air, tebing, pohon atau tiang yang roboh; "
    "utamakan keselamatan jiwa.",
    "emergency_crime": "🚓 Kejahatan: utamakan keselamatan Bapak/Ibu, jangan melawan pelaku "
    "bersenjata, catat ciri-cirinya dari tempat aman.",
}
EMERGENCY_INTENTS = frozenset(ADVICE)


class Emergency(Action):
    def name(self) -> Text:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        intent = latest.intent(tracker) or "emergency_medical"
        # First line, same turn: the call instruction. Nothing else comes first.
        dispatcher.utter_message(text=CALL_112, json_message=CALL_PAYLOAD)
        dispatcher.utter_message(text=ADVICE.get(intent, ADVICE["emergency_medical"]))
        place = places.from_entities(tracker)
        # A new emergency asks again where, unless this message says it.
        return [
            SlotSet("emergency_type", intent),
            SlotSet("emergency_location", _describe(place) if place else None),
        ]


class ValidateEmergencyForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_emergency_form"

    async def extract_emergency_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "emergency_location":
            return {}
        pin = places.pin_of(tracker)
        if pin:
            area = places.locate_pin(*pin)
            where = f"{pin[0]:.5f}, {pin[1]:.5f}"
            return {"emergency_location": f"{where} (Kel. {area.name})" if area else where}
        intent = latest.intent(tracker)
        if intent in NOT_AN_ANSWER and intent not in EMERGENCY_INTENTS:
            return {}
        place = places.from_entities(tracker) or (
            places.from_text(latest.text(tracker)) if latest.text(tracker) else None
        )
        return {"emergency_location": _describe(place)} if place else {}


class EmergencyRecorded(Action):
    def name(self) -> Text:
        return "action_emergency_recorded"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        where = tracker.get_slot("emergency_location") or "-"
        dispatcher.utter_message(response="utter_emergency_tell_operator", where=where)
        dispatcher.utter_message(text=CALL_112, json_message=CALL_PAYLOAD)
        # The place stays in the conversation: nothing else holds it yet.
        return []


def _describe(place: places.Place) -> str:
    return places.describe(place.location, place.kelurahan)

"""Emergencies: the 112 call instruction at once, and an incident for the live 112 operators.

The incident is created in the city backend in the same turn
(actions/incidents.py): the place and the citizen's later "it is safe now"
follow as updates. A turn's messages go out together when its action
returns, so the backend gets a short timeout and whatever it does not take
in time is kept and sent later. The citizen is told only what happened:
delivered (and whether an officer is on duty), kept, or neither; and always
to call 112.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import incidents, latest, places, texts
from actions.form import NOT_AN_ANSWER
from actions.incidents import (
    ACCEPTED,
    DELIVERED,
    QUEUED,
    RESOLVED,
    Delivery,
    Job,
    Location,
    clip,
)
from actions.report import channel_of, contact_token
from actions.settings import ActionSettings, get_settings
from lapor.timeutil import utcnow

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
# The conversation the operator reads with the incident: its latest messages.
TRANSCRIPT = 20
LOCATION, SAFE = "location", "safe"


@dataclass(frozen=True)
class Filed:
    key: str
    delivery: Delivery
    # How this message's place reached the backend: DELIVERED, QUEUED or None.
    place: Optional[str]


class Emergency(Action):
    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        # rasa_sdk builds its actions without arguments: this process's settings then.
        self.settings = settings or get_settings()

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
        filed = await self._file(tracker, intent, place)
        dispatcher.utter_message(text=status_line(filed.delivery))
        # A new emergency asks again where, unless this message says it.
        events: List[EventType] = [
            SlotSet("emergency_type", intent),
            SlotSet("emergency_location", _describe(place) if place else None),
            SlotSet("incident_location", filed.place),
        ]
        if filed.delivery.forwarded:
            events.append(SlotSet("incident_key", filed.key))
        return events

    async def _file(self, tracker: Tracker, intent: str, place: Optional[places.Place]) -> Filed:
        """One incident per conversation: a later emergency message finds the same one."""
        earlier = tracker.get_slot("incident_key")
        key = str(earlier) if earlier else latest.message_key(tracker)
        delivery = await self._create(tracker, key, intent, place)
        if earlier and delivery.incident and delivery.incident.state == RESOLVED:
            # An officer closed that one: this is a new emergency.
            key = latest.message_key(tracker)
            delivery = await self._create(tracker, key, intent, place)
        if place is None or not delivery.forwarded:
            return Filed(key, delivery, None)
        if key != earlier or (delivery.incident and delivery.incident.created):
            return Filed(key, delivery, delivery.status)  # the place went with the creation
        # The backend kept the first message's incident: this place is news to it.
        update = Job.update(key, _update(tracker, LOCATION, location_of(place)))
        # The backend just failed this turn: no second wait for it.
        send = incidents.keep if delivery.status == QUEUED else incidents.deliver
        sent = await send(self.settings, update)
        return Filed(key, delivery, sent.status if sent.forwarded else None)

    async def _create(
        self, tracker: Tracker, key: str, intent: str, place: Optional[places.Place]
    ) -> Delivery:
        return await incidents.deliver(
            self.settings, Job.creation(_creation(tracker, key, intent, place))
        )


class ValidateEmergencyForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_emergency_form"

    async def extract_emergency_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "emergency_location":
            return {}
        place = answered_place(tracker)
        return {"emergency_location": _describe(place)} if place else {}


class EmergencyRecorded(Action):
    """The form has the place: forward it to the incident, or have the caller give it."""

    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        self.settings = settings or get_settings()

    def name(self) -> Text:
        return "action_emergency_recorded"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        where = tracker.get_slot("emergency_location") or "-"
        forwarded = await self._forward_place(tracker, where)
        if forwarded == DELIVERED:
            dispatcher.utter_message(text=texts.PLACE_FORWARDED.format(where=where))
        elif forwarded == QUEUED:
            dispatcher.utter_message(text=texts.PLACE_KEPT.format(where=where))
        else:
            dispatcher.utter_message(response="utter_emergency_tell_operator", where=where)
        dispatcher.utter_message(text=CALL_112, json_message=CALL_PAYLOAD)
        return [SlotSet("incident_location", forwarded)]

    async def _forward_place(self, tracker: Tracker, where: str) -> Optional[str]:
        if latest.intent(tracker) in EMERGENCY_INTENTS:
            # The place came with the emergency message: action_emergency sent it.
            value = tracker.get_slot("incident_location")
            return str(value) if value else None
        key = tracker.get_slot("incident_key")
        if not key:
            return None  # no incident took this emergency
        place = answered_place(tracker)
        location = location_of(place) if place else Location(text=where)
        job = Job.update(str(key), _update(tracker, LOCATION, location))
        delivery = await incidents.deliver(self.settings, job)
        return delivery.status if delivery.forwarded else None


class AllClear(Action):
    """'Sudah aman', 'salah kirim': passed on to the officer, who alone closes the incident."""

    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        self.settings = settings or get_settings()

    def name(self) -> Text:
        return "action_all_clear"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        key = tracker.get_slot("incident_key")
        if not key:
            dispatcher.utter_message(text=texts.OVER_NO_INCIDENT)
            return []
        job = Job.update(str(key), _update(tracker, SAFE, None))
        delivery = await incidents.deliver(self.settings, job)
        answer = {DELIVERED: texts.OVER_FORWARDED, QUEUED: texts.OVER_KEPT}
        dispatcher.utter_message(text=answer.get(delivery.status, texts.OVER_NOT_SENT))
        return []


def status_line(delivery: Delivery) -> str:
    """The one line that says what became of the incident."""
    incident = delivery.incident
    if incident is None:
        return texts.INCIDENT_KEPT if delivery.status == QUEUED else texts.INCIDENT_NOT_SENT
    if incident.operators_on_duty <= 0:
        return texts.INCIDENT_NOBODY_ON_DUTY
    return texts.INCIDENT_ACCEPTED if incident.state == ACCEPTED else texts.INCIDENT_ON_DUTY


def answered_place(tracker: Tracker) -> Optional[places.Place]:
    """The place in an answer to "where?": a shared pin, entities or the typed text."""
    pin = places.pin_of(tracker)
    if pin:
        area = places.locate_pin(*pin)
        return places.Place(
            kelurahan=area.name if area else None,
            kelurahan_code=area.code if area else None,
            latitude=pin[0],
            longitude=pin[1],
        )
    intent = latest.intent(tracker)
    if intent in NOT_AN_ANSWER and intent not in EMERGENCY_INTENTS:
        return None
    typed = latest.text(tracker)
    return places.from_entities(tracker) or (places.from_text(typed) if typed else None)


def _creation(
    tracker: Tracker, key: str, intent: str, place: Optional[places.Place]
) -> Dict[str, Any]:
    location = location_of(place) if place else None
    return {
        "key": key,
        "kind": intent,
        "channel": channel_of(tracker),
        "conversation_id": tracker.sender_id,
        "contact": contact_token(tracker),
        "text": _said(tracker),
        "location": location.data() if location else None,
        "transcript": transcript(tracker),
        "received_at": moment(latest.user_event(tracker)),
    }


def _update(tracker: Tracker, kind: str, location: Optional[Location]) -> Dict[str, Any]:
    return {
        "kind": kind,
        "text": _said(tracker) or None,
        "location": location.data() if location else None,
        "at": moment(latest.user_event(tracker)),
    }


def location_of(place: places.Place) -> Location:
    return Location(place.location, place.kelurahan, place.latitude, place.longitude)


def _said(tracker: Tracker) -> str:
    """The citizen's words; a button's payload when that is all there is."""
    said = latest.text(tracker) or str(tracker.latest_message.get("text") or "").strip()
    return clip(said) or ""


def transcript(tracker: Tracker) -> List[Dict[str, Any]]:
    """The conversation's latest messages, as the operator reads them with the incident."""
    said = [e for e in tracker.events if e.get("event") in ("user", "bot") and e.get("text")]
    return [
        {"who": e["event"], "text": clip(str(e["text"])), "at": moment(e)}
        for e in said[-TRANSCRIPT:]
    ]


def moment(event: Dict[str, Any]) -> str:
    # To the microsecond, as Rasa stamped the event: the backend tells the
    # message that raised the emergency from the later ones by this time.
    stamp = event.get("timestamp")
    moment = datetime.fromtimestamp(float(stamp), timezone.utc) if stamp else utcnow()
    return moment.isoformat()


def _describe(place: places.Place) -> str:
    if place.latitude is not None and place.longitude is not None and not place.location:
        where = f"{place.latitude:.5f}, {place.longitude:.5f}"
        return f"{where} (Kel. {place.kelurahan})" if place.kelurahan else where
    return places.describe(place.location, place.kelurahan)

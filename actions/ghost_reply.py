"""The citizen's reply after a silent 112 call.

When a 112 voice call stays silent and ends, the backend sends the caller's
WhatsApp number "Anda baru saja menelepon 112. Jika butuh bantuan, balas
pesan ini", and opens `ghost_reply_form` with the call's reference in the
slot `ghost_call` when that message is delivered (lapor/conversations.py).
Whatever comes back (words, a pin, a photo, a voice note) may be someone
who cannot speak: it becomes an incident for the live 112 operators, filed
the way emergencies are (actions/incidents.py: sent at once, kept when the
backend cannot take it), with a key made from the call so that a retried
action files it once. An emergency in the reply is handled as an emergency
instead (data/dialogue/rules.yml).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import incidents, latest, places, texts
from actions.emergency import moment, transcript
from actions.incidents import DELIVERED, QUEUED, Delivery, Job, Location, clip
from actions.report import channel_of, contact_token
from actions.settings import ActionSettings, get_settings
from actions.voice import voice_urls
from lapor import mediaurls

KIND = "emergency_call_followup"
GHOST_SLOTS = ("ghost_call", "ghost_reply")
KEY_PREFIX = "followup-"
# The backend's incident key (backend/emergency/api.py): 8 to 64 of these.
NOT_IN_KEY = re.compile(r"[^A-Za-z0-9_.:-]")
MAX_KEY = 64
# Said in the incident for what the operator cannot read as words.
SENT_PHOTO = "[Pelapor mengirim foto; lihat percakapan]"
SENT_VOICE = "[Pelapor mengirim pesan suara; dengarkan di percakapan]"


def followup_key(call: Optional[str], tracker: Tracker) -> str:
    """One incident per silent call, however often the action runs.

    Without a call reference (never expected) the reply's own message names
    it, as an emergency message does (actions/emergency.py)."""
    reference = NOT_IN_KEY.sub("-", str(call or "").strip())
    if not reference.strip("-"):
        return latest.message_key(tracker)
    return (KEY_PREFIX + reference)[:MAX_KEY]


class ValidateGhostReplyForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_ghost_reply_form"

    async def extract_ghost_reply(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        reply: Dict[str, Any] = {}
        text, pin = latest.text(tracker), places.pin_of(tracker)
        metadata = tracker.latest_message.get("metadata") or {}
        photos = mediaurls.stored_media(metadata.get("media_urls"), get_settings().backend_urls)
        voice = voice_urls(tracker)
        if text:
            reply["text"] = text
        if pin:
            reply["latitude"], reply["longitude"] = pin
        if photos:
            reply["media_urls"] = photos
        if voice:
            reply["voice_urls"] = voice
        # An empty message (nothing usable): asked again.
        return {"ghost_reply": reply or None}


class SubmitGhostReply(Action):
    def __init__(self, settings: Optional[ActionSettings] = None) -> None:
        # rasa_sdk builds its actions without arguments: this process's settings then.
        self.settings = settings or get_settings()

    def name(self) -> Text:
        return "action_submit_ghost_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        reset: List[EventType] = [SlotSet(slot, None) for slot in GHOST_SLOTS]
        reply = tracker.get_slot("ghost_reply")
        if not isinstance(reply, dict):
            return reset
        key = followup_key(tracker.get_slot("ghost_call"), tracker)
        delivery = await incidents.deliver(
            self.settings, Job.creation(creation(tracker, key, reply))
        )
        dispatcher.utter_message(text=answer(delivery))
        if reply.get("voice_urls") and not reply.get("text"):
            dispatcher.utter_message(text=texts.GHOST_REPLY_VOICE)
        if delivery.forwarded:
            # Later messages (a place, "sudah aman") go to this incident.
            reset.append(SlotSet("incident_key", key))
        return reset


def answer(delivery: Delivery) -> str:
    """What became of the reply, and nothing more."""
    if delivery.status == QUEUED:
        return texts.GHOST_REPLY_KEPT
    if delivery.status != DELIVERED:
        return texts.INCIDENT_NOT_SENT
    if delivery.incident is not None and delivery.incident.operators_on_duty <= 0:
        return texts.INCIDENT_NOBODY_ON_DUTY
    return texts.GHOST_REPLY_SENT


def creation(tracker: Tracker, key: str, reply: Dict[str, Any]) -> Dict[str, Any]:
    """The incident, as actions/emergency.py files one."""
    lat, lon = reply.get("latitude"), reply.get("longitude")
    place = None
    if lat is not None and lon is not None:
        area = places.locate_pin(lat, lon)
        place = Location(kelurahan=area.name if area else None, latitude=lat, longitude=lon)
    return {
        "key": key,
        "kind": KIND,
        "channel": channel_of(tracker),
        "conversation_id": tracker.sender_id,
        "contact": contact_token(tracker),
        "text": said(reply),
        "location": place.data() if place else None,
        "transcript": transcript(tracker),
        "received_at": moment(latest.user_event(tracker)),
    }


def said(reply: Dict[str, Any]) -> str:
    """The reply's words, and a note of what it carried besides."""
    parts = [str(reply.get("text") or "").strip()]
    if reply.get("media_urls"):
        parts.append(SENT_PHOTO)
    if reply.get("voice_urls"):
        parts.append(SENT_VOICE)
    return clip(" ".join(p for p in parts if p)) or ""

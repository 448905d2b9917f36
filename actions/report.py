"""A complaint being filed: built from the form's slots, sent as an Open311 form."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from rasa_sdk import Tracker

from actions import answers, places, texts
from actions.answers import SKIPPED  # also the photo slot's value when none was sent
from actions.catalogue import catalogue
from lapor import channels

PLACE_SLOTS = ("kelurahan", "kelurahan_code", "latitude", "longitude")
# The entity of the "follow the similar report" button (actions/prompts.py).
FOLLOW = "follow"
# Everything a report in progress keeps; cleared when it is filed or cancelled.
REPORT_SLOTS = (
    "category",
    "location",
    "description",
    "photo",
    "confirmed",
    "correcting",
    "fix_field",
    *PLACE_SLOTS,
    "similar_ticket",
    "follow_similar",
    "unsure_text",
    "attributes",
    "details",
    # Voice notes sent during the form (actions/voice.py).
    "voice_notes",
    "requested_slot",
)


@dataclass(frozen=True)
class Report:
    category: str
    description: str
    location: Optional[str]
    kelurahan: Optional[str]
    kelurahan_code: Optional[str]
    latitude: Optional[float]
    longitude: Optional[float]
    photo: Optional[str]
    sender_id: str
    channel: str
    # The reporter's number, sealed by the WhatsApp channel; only the backend opens it.
    contact_token: Optional[str] = None
    # Answers to the category's own questions (data/services.yml attributes).
    attributes: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> Optional["Report"]:
        """None unless category, a location and a description are all known."""
        slots = tracker.current_slot_values()
        category, description = slots.get("category"), slots.get("description")
        location, kelurahan = slots.get("location"), slots.get("kelurahan")
        has_place = bool(location or kelurahan or slots.get("latitude") is not None)
        if not (category and description and has_place):
            return None
        photo = slots.get("photo")
        return cls(
            category=str(category),
            description=str(description),
            location=location,
            kelurahan=kelurahan,
            kelurahan_code=slots.get("kelurahan_code"),
            latitude=slots.get("latitude"),
            longitude=slots.get("longitude"),
            photo=photo if photo and photo != SKIPPED else None,
            sender_id=tracker.sender_id,
            channel=channel_of(tracker),
            contact_token=contact_token(tracker),
            attributes=_answers(str(category), slots.get("attributes")),
        )

    @property
    def address(self) -> str:
        """The citizen's place phrase and the kelurahan name."""
        described = places.describe(self.location, self.kelurahan)
        if not described and self.latitude is not None:
            return texts.PIN_ADDRESS.format(lat=self.latitude, lon=self.longitude)
        return described

    def open311_form(self) -> Dict[str, Any]:
        form: Dict[str, Any] = {
            "service_code": self.category,
            "description": self.description,
            "address_string": self.address,
            "channel": self.channel,
            "account_id": self.sender_id,
        }
        if self.latitude is not None and self.longitude is not None:
            form["lat"], form["long"] = self.latitude, self.longitude
        if self.kelurahan_code:
            form["kelurahan_code"] = self.kelurahan_code
        if self.contact_token:
            form["contact_token"] = self.contact_token
        if self.photo:
            form["media_url"] = self.photo
        for code, value in self.attributes.items():
            if isinstance(value, dict):  # a sealed NIK: only the backend opens it
                form[f"attribute[{code}]"] = value["sealed"]
            elif isinstance(value, list):
                form[f"attribute[{code}][]"] = value
            else:
                form[f"attribute[{code}]"] = value
        return form


def _answers(category: str, given: Any) -> Dict[str, Any]:
    service = catalogue().service(category)
    return answers.filled(service, given) if service and isinstance(given, dict) else {}


def contact_token(tracker: Tracker) -> Optional[str]:
    """The sealed number of the latest message that carried one."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            token = (event.get("metadata") or {}).get("contact")
            if token:
                return str(token)
    return (tracker.latest_message.get("metadata") or {}).get("contact")


def channel_of(tracker: Tracker) -> str:
    return channels.from_rasa(tracker.get_latest_input_channel())


def idempotency_key(tracker: Tracker) -> str:
    """Stable for one report: the sender and the moment the form started.

    A retried submission of the same report (action server retry, outbox
    flush) reuses it, so the backend never files it twice.
    """
    started = next(
        (
            e.get("timestamp")
            for e in reversed(tracker.events)
            if e.get("event") == "active_loop" and e.get("name") == "report_form"
        ),
        None,
    )
    raw = f"{tracker.sender_id}|{started}"
    return "chat-" + hashlib.sha256(raw.encode()).hexdigest()[:40]

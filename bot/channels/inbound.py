"""Turn one Twilio WhatsApp webhook into what the bot should read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str


@dataclass(frozen=True)
class Inbound:
    message_sid: str
    sender: str  # "whatsapp:+62..."
    body: str
    profile_name: Optional[str] = None
    media: Tuple[Media, ...] = ()
    location: Optional[Dict[str, Any]] = None
    button_payload: Optional[str] = None
    extra: Dict[str, str] = field(default_factory=dict)


KNOWN = {"Body", "From", "To", "ProfileName", "WaId", "MessageSid", "SmsMessageSid",
         "NumMedia", "Latitude", "Longitude", "Address", "Label", "ButtonPayload",
         "ButtonText", "AccountSid"}  # fmt: skip


class BadWebhook(ValueError):
    pass


def parse(form: Mapping[str, str]) -> Inbound:
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    sender = form.get("From") or ""
    if not sid or not sender:
        raise BadWebhook("MessageSid and From are required")
    return Inbound(
        message_sid=sid,
        sender=sender,
        body=(form.get("Body") or "").strip(),
        profile_name=form.get("ProfileName") or None,
        media=_media(form),
        location=_location(form),
        button_payload=(form.get("ButtonPayload") or "").strip() or None,
        # Parameters Twilio adds later are kept, never a reason to fail.
        extra={k: v for k, v in form.items() if k not in KNOWN and not k.startswith("Media")},
    )


def _media(form: Mapping[str, str]) -> Tuple[Media, ...]:
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        count = 0
    items: List[Media] = []
    for n in range(min(count, 10)):
        url = form.get(f"MediaUrl{n}")
        if url:
            items.append(Media(url, form.get(f"MediaContentType{n}") or ""))
    return tuple(items)


def point(latitude: Any, longitude: Any) -> Optional[Dict[str, Any]]:
    """{"latitude", "longitude"} from a channel's two values, if they are a place on Earth."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # NaN fails these too
        return None
    return {"latitude": lat, "longitude": lon}


def _location(form: Mapping[str, str]) -> Optional[Dict[str, Any]]:
    pin = point(form.get("Latitude"), form.get("Longitude"))
    if pin is None:
        return None
    return {**pin, "address": form.get("Address") or None, "label": form.get("Label") or None}


PHOTO_PAYLOAD = "/share_photo"
# A voice note the backend stored: its URL travels as metadata "voice_urls",
# never "media_urls", so no photo question takes it for a photo.
VOICE_PAYLOAD = "/share_voice"


def location_payload(location: Dict[str, Any]) -> str:
    """The message the bot reads for a shared pin (an intent with entities)."""
    entities = {"latitude": location["latitude"], "longitude": location["longitude"]}
    return "/share_location" + json.dumps(entities)

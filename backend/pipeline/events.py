"""One Rasa event (as its event broker publishes it) -> one conversation_events row.

Pure: no database, no clock. What is kept is what the console and the later
issues read; what is dropped is dropped on purpose:
- `metadata` never: channels put there what Rasa must carry but nobody may
  read (the WhatsApp channel's sealed phone number);
- slots, forms, rewinds and the like: they are counted as consumed, not stored
  (the tracker store keeps them; the console shows messages and actions);
- `action_listen`: one after every turn, it says nothing.
Every text the citizen or the bot wrote passes through mask_text, so a phone
number or NIK typed into the chat is never stored whole.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional

from lapor.privacy import mask_text

USER, BOT, ACTION, SESSION = "user", "bot", "action", "session"
MESSAGES = frozenset({USER, BOT})  # the kinds the console hears live
DEFAULT_ORIGIN = "bot"  # a bot event without metadata.origin came from Rasa itself
# Column widths of backend/tables.py: longer values are cut, never refused (a
# refused row would stop the pipeline on one odd event).
_SENDER_KEY, _NAME, _CHANNEL, _ORIGIN = 128, 128, 32, 16


class BadEvent(ValueError):
    """A message that is not a Rasa event (not JSON, no sender or event name)."""


@dataclass(frozen=True)
class Row:
    """What one event becomes; `kind` None for an event that is consumed but not stored."""

    event_key: str
    sender_key: str
    kind: Optional[str]
    at: datetime
    text: Optional[str] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    entities: Optional[List[Dict[str, Any]]] = None
    action: Optional[str] = None
    channel: Optional[str] = None
    origin: Optional[str] = None
    data: Optional[Dict[str, Any]] = None


def parse(body: bytes | str) -> Dict[str, Any]:
    """The event in a broker message's body (both brokers send json.dumps(event))."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadEvent(f"not JSON: {exc}") from None
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        raise BadEvent("not a Rasa event")
    if not isinstance(event.get("sender_id"), str) or not event["sender_id"]:
        raise BadEvent("no sender_id")
    return event


def event_key(event: Mapping[str, Any]) -> str:
    """The event's identity, the same whichever broker delivered it.

    Rasa stamps every event with a float `timestamp` (microseconds) when it
    happens, and both brokers publish the same dict ({"sender_id": ...} plus
    event.as_dict()). Sender, timestamp and content together name one event:
    a redelivery or the same event read from the other broker hashes equal,
    two events of one conversation never do (they differ in time or content).
    Canonical JSON (sorted keys) makes the hash independent of key order, and
    a float survives the JSON round trip exactly.
    """
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{event['sender_id']}\n{canonical}".encode()).hexdigest()


def sender_key(sender_id: str) -> str:
    """The conversation's key: Rasa's sender id (a pseudonym or a widget session).

    An id longer than the column is hashed rather than cut, so two long ids
    never share a conversation."""
    if len(sender_id) <= _SENDER_KEY:
        return sender_id
    return "sha256:" + hashlib.sha256(sender_id.encode()).hexdigest()


def to_row(event: Mapping[str, Any]) -> Row:
    """The row for an event parsed by `parse`."""
    name = event["event"]
    base = Row(event_key(event), sender_key(event["sender_id"]), None, _at(event))
    if name == "user":
        return _user(base, event)
    if name == "bot":
        return _bot(base, event)
    if name == "action" and event.get("name") != "action_listen":
        return _replace(base, kind=ACTION, action=_cut(event.get("name"), _NAME))
    if name == "session_started":
        return _replace(base, kind=SESSION)
    return base


def _user(base: Row, event: Mapping[str, Any]) -> Row:
    parse_data = event.get("parse_data") or {}
    intent = parse_data.get("intent") or {}
    shared = _shared(event.get("metadata"))
    return _replace(
        base,
        kind=USER,
        text=_masked(event.get("text")),
        intent=_cut(intent.get("name"), _NAME),
        confidence=_number(intent.get("confidence")),
        entities=[_entity(e) for e in parse_data.get("entities") or [] if isinstance(e, dict)],
        channel=_cut(event.get("input_channel"), _CHANNEL),
        data=shared or None,
    )


def _shared(metadata: Any) -> Dict[str, Any]:
    """Of a user message's metadata, only what the citizen shared: a pin, photo
    and voice note links.

    The channels put them there after checking them (a pin on Earth; photos and
    voice notes the backend stored); everything else in metadata is never read
    (the sealed number). Voice notes keep their own key: the console plays them,
    and an open incident records them as "voice_note" (backend/emergency/)."""
    if not isinstance(metadata, dict):
        return {}
    shared: Dict[str, Any] = {}
    pin = metadata.get("location")
    if isinstance(pin, dict):
        lat, lon = _number(pin.get("latitude")), _number(pin.get("longitude"))
        if lat is not None and lon is not None:
            shared["location"] = {"latitude": lat, "longitude": lon}
    for key in ("media_urls", "voice_urls"):
        urls = _links(metadata.get(key))
        if urls:
            shared[key] = urls
    return shared


def _links(value: Any) -> List[str]:
    if not isinstance(value, list):
        return []
    return [u for u in value if isinstance(u, str) and u.startswith(("http://", "https://"))][:10]


def _bot(base: Row, event: Mapping[str, Any]) -> Row:
    metadata = event.get("metadata") or {}
    # Only the origin is read from metadata; the rest of it is never stored.
    origin = metadata.get("origin") if isinstance(metadata, dict) else None
    data = {k: v for k, v in (event.get("data") or {}).items() if v not in (None, [], {}, "")}
    return _replace(
        base,
        kind=BOT,
        text=_masked(event.get("text")),
        origin=_cut(origin, _ORIGIN) or DEFAULT_ORIGIN,
        data=_masked_json(data) if data else None,
    )


def _entity(entity: Mapping[str, Any]) -> Dict[str, Any]:
    return {
        "entity": entity.get("entity"),
        "value": _masked_json(entity.get("value")),
        "start": entity.get("start"),
        "end": entity.get("end"),
    }


def _at(event: Mapping[str, Any]) -> datetime:
    timestamp = _number(event.get("timestamp"))
    if timestamp is None:
        raise BadEvent("no timestamp")
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def _replace(row: Row, **changes: Any) -> Row:
    return Row(**{**row.__dict__, **changes})


def _masked(text: Any) -> Optional[str]:
    return mask_text(text) if isinstance(text, str) else None


def _masked_json(value: Any) -> Any:
    """Every string inside masked: buttons, entity values and links can carry numbers."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [_masked_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _masked_json(v) for k, v in value.items()}
    return value


def _cut(value: Any, width: int) -> Optional[str]:
    return value[:width] if isinstance(value, str) and value else None


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)

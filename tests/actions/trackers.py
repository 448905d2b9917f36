"""Serialised trackers for action tests (Tracker.from_dict, as Rasa sends them)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from tests.servers import REPO_ROOT

DEFAULT_SLOTS: Dict[str, Any] = {
    "category": None,
    "location": None,
    "kelurahan": None,
    "kelurahan_code": None,
    "latitude": None,
    "longitude": None,
    "description": None,
    "photo": None,
    "confirmed": None,
    "correcting": None,
    "fix_field": None,
    "last_ticket": None,
    "emergency_type": None,
    "emergency_location": None,
    "requested_slot": None,
}


def entity(name: str, value: Any, start: int = 0, end: int = 0) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": start, "end": end}


def tracker(
    text: str,
    intent: str,
    *,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    active_loop: Optional[str] = None,
    sender_id: str = "tester",
    metadata: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    input_channel: str = "rest",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": {**DEFAULT_SLOTS, **(slots or {})},
            "latest_message": latest,
            "events": [
                *(events or []),
                {
                    "event": "user",
                    "text": text,
                    "parse_data": latest,
                    "input_channel": input_channel,
                    "timestamp": 1.0,
                },
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


@lru_cache(maxsize=1)
def domain() -> Dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(REPO_ROOT / "bot" / "domain")).as_dict()


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The SlotSet events as {slot: value}, in order (later wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}

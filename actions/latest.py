"""What the citizen's latest message says: intent and prose text, and which message it is."""

from __future__ import annotations

import hashlib
from typing import Any, Dict, Optional

from rasa_sdk import Tracker


def intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def text(tracker: Tracker) -> str:
    """The typed text; a button payload ("/affirm") is not prose."""
    raw = tracker.latest_message.get("text") or ""
    return "" if raw.startswith("/") else raw.strip()


def user_event(tracker: Tracker) -> Dict[str, Any]:
    """The user event this turn answers."""
    return next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})


def message_key(tracker: Tracker) -> str:
    """An idempotency key for what this turn files: the sender and their message.

    An action that Rasa runs again for the same message makes the same key,
    so the backend returns what it already has (an incident) or keeps what it
    has (an answer). So does a WhatsApp message run again after its replica
    died mid-turn: a new turn, stamped anew, but the same message id
    (Twilio's MessageSid). Without an id, the message's moment.
    """
    message = user_event(tracker)
    raw = f"{tracker.sender_id}|{message.get('message_id') or message.get('timestamp')}"
    return hashlib.sha256(raw.encode()).hexdigest()

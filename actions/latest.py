"""What the citizen's latest message says: intent and prose text."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker


def intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def text(tracker: Tracker) -> str:
    """The typed text; a button payload ("/affirm") is not prose."""
    raw = tracker.latest_message.get("text") or ""
    return "" if raw.startswith("/") else raw.strip()

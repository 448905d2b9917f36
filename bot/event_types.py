"""Rasa's lookup of an event's class by its type name, remembered.

Every stored event is rebuilt from its dict when Rasa loads a tracker, and
for each one `Event.resolve_by_type` walks the whole tree of Event's
subclasses again. A turn loads the tracker up to three times (to handle the
message, to let a channel see the offered buttons, and to find the new events
to publish), so under load this walk was 9% of the Rasa server's time
(docs/performance.md). `install()` remembers each name's class once found;
a name not found still goes the original way (its default or its error).

Wrapped once, at start-up of `python -m bot` (bot/__main__.py), never on import.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Text, Type

from rasa.shared.core.events import Event

from bot import patching

Resolve = Callable[[Text, Optional[Type[Event]]], Optional[Type[Event]]]


def install() -> None:
    """Replaces the lookup."""
    patching.wrap(Event, "resolve_by_type", remembering)


def remembering(original: Resolve) -> Resolve:
    found: Dict[Text, Type[Event]] = {}

    def resolve_by_type(
        type_name: Text, default: Optional[Type[Event]] = None
    ) -> Optional[Type[Event]]:
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls.type_name == type_name:
                found[type_name] = cls
        return cls

    return resolve_by_type

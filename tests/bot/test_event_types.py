"""Event classes found by type name as Rasa finds them, the search done once."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered

from bot import event_types, patching

ORIGINAL = patching.original(Event, "resolve_by_type")


def test_each_type_name_gives_rasas_class() -> None:
    resolve = event_types.remembering(ORIGINAL)
    for cls in (ActionExecuted, SessionStarted, SlotSet, UserUttered):
        assert resolve(cls.type_name, None) is cls
        assert resolve(cls.type_name, None) is ORIGINAL(cls.type_name, None)


def test_an_unknown_name_gives_the_default_or_rasas_error() -> None:
    resolve = event_types.remembering(ORIGINAL)
    assert resolve("no_such_event", SlotSet) is SlotSet
    assert resolve("topic", None) is None
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        resolve("no_such_event", None)


def test_the_search_runs_once_per_name() -> None:
    calls = []

    def counting(name, default):  # type: ignore[no-untyped-def]
        calls.append(name)
        return ORIGINAL(name, default)

    resolve = event_types.remembering(counting)
    for _ in range(3):
        assert resolve("slot", None) is SlotSet
    assert calls == ["slot"]

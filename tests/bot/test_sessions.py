"""A long conversation at rest starts a new session that keeps every slot, so
each turn's work stays bounded; a form, a pause or a pending answer waits."""

from __future__ import annotations

from typing import Any, List, Optional

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import (
    DialogueStateTracker,
    get_trackers_for_conversation_sessions,
)

from bot import sessions
from lapor.paths import REPO_ROOT

DOMAIN = Domain.load(str(REPO_ROOT / "bot" / "domain"))


def _turn(text: str, action: str) -> List[Event]:
    return [
        UserUttered(text, intent={"name": "check_status", "confidence": 0.9}),
        ActionExecuted(action),
        BotUttered("Laporan Bapak/Ibu sedang diproses."),
        ActionExecuted("action_listen"),
    ]


def _tracker(
    turns: int, last_action: str = "action_check_status", *extra: Event
) -> DialogueStateTracker:
    events: List[Event] = [
        ActionExecuted("action_session_start"),
        ActionExecuted("action_listen"),
        SlotSet("last_ticket", "KDR-2026-000042"),
        SlotSet("incident_key", "inc-1"),
    ]
    for _ in range(turns - 1):
        events += _turn("cek status laporan saya", "action_check_status")
    events += _turn("cek status", last_action)
    events += list(extra)
    return DialogueStateTracker.from_events("warga", events, slots=DOMAIN.slots)


class _Processor:
    """What the wrapped method reads of Rasa's MessageProcessor."""

    def __init__(self, expired: bool = False) -> None:
        self.domain = DOMAIN
        self.expired = expired
        self.original_calls = 0

    def _has_session_expired(self, tracker: Any) -> bool:
        return self.expired


async def _update(processor: _Processor, tracker: DialogueStateTracker, max_events: int) -> None:
    async def original(
        self: Any, tracker: Any, output: Any, metadata: Optional[dict] = None
    ) -> None:
        self.original_calls += 1

    await sessions.rolling_over(original, max_events)(processor, tracker, None)


async def test_a_long_conversation_at_rest_starts_a_session_that_keeps_every_slot() -> None:
    tracker = _tracker(30)
    processor = _Processor()
    await _update(processor, tracker, max_events=100)
    latest = get_trackers_for_conversation_sessions(tracker)[-1]
    assert len(latest.events) < 10
    assert latest.get_slot("last_ticket") == "KDR-2026-000042"
    assert latest.get_slot("incident_key") == "inc-1"
    assert latest.latest_action_name == "action_listen"
    assert processor.original_calls == 0  # the action server's session start is not needed


async def test_a_short_conversation_keeps_its_session() -> None:
    tracker = _tracker(5)
    processor = _Processor()
    await _update(processor, tracker, max_events=100)
    assert len(get_trackers_for_conversation_sessions(tracker)) == 1
    assert processor.original_calls == 1  # Rasa's own check runs as before


async def test_an_expired_session_starts_the_usual_way() -> None:
    """Idle for longer than session_config: the action server's session start
    decides what is carried (actions/session.py), as before."""
    tracker = _tracker(30)
    processor = _Processor(expired=True)
    await _update(processor, tracker, max_events=100)
    assert processor.original_calls == 1
    assert len(get_trackers_for_conversation_sessions(tracker)) == 1


def test_an_open_form_a_pause_or_an_unclosed_question_waits() -> None:
    assert sessions.due(_tracker(30), 100)
    assert not sessions.due(_tracker(30, "action_check_status", ActiveLoop("report_form")), 100)
    assert not sessions.due(_tracker(30, "action_check_status", ConversationPaused()), 100)
    # The unsure offer waits for its answer (actions/form.py reads it).
    assert not sessions.due(_tracker(30, "action_unsure"), 100)
    assert sessions.due(_tracker(30, "action_submit_report"), 100)


def test_zero_turns_it_off() -> None:
    assert not sessions.due(_tracker(30), 0)

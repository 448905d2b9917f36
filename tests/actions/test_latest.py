"""What the actions read from the citizen's latest message (actions/latest.py)."""

from __future__ import annotations

from actions.latest import message_key
from tests.actions.trackers import tracker


def test_a_message_run_again_makes_the_same_key() -> None:
    first = tracker("ada kebakaran", "emergency_fire", sender_id="warga")
    again = tracker("ada kebakaran", "emergency_fire", sender_id="warga")
    # The same WhatsApp message run again by another replica: stamped anew.
    for turn, stamp in ((first, 1.0), (again, 9.0)):
        turn.events[-1].update(message_id="SM1", timestamp=stamp)
    assert message_key(first) == message_key(again)
    other = tracker("ada kebakaran", "emergency_fire", sender_id="warga")
    other.events[-1].update(message_id="SM2", timestamp=1.0)
    assert message_key(other) != message_key(first)


def test_without_a_message_id_the_key_is_the_message_s_moment() -> None:
    first = tracker("Depan masjid", "inform", sender_id="warga")
    later = tracker("Depan masjid", "inform", sender_id="warga")
    first.events[-1].update(timestamp=1.0)
    later.events[-1].update(timestamp=2.0)
    assert message_key(first) != message_key(later)
    assert len(message_key(first)) == 64

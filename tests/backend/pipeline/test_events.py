"""Mapping Rasa's own event dicts to conversation rows (backend/pipeline/events.py)."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from backend.pipeline import events
from lapor.privacy import carries_numbers

SEALED = "gAAAAABsealed-number-0812345678901"


def published(event: Any, sender: str = "pseudo-1") -> Dict[str, Any]:
    """What Rasa's tracker store hands its broker: {"sender_id": ...} + event.as_dict()."""
    return {"sender_id": sender, **event.as_dict()}


def user_event(text: str = "lampu mati di depan rumah, hubungi 0812-3456-7890") -> Dict[str, Any]:
    return published(
        UserUttered(
            text,
            intent={"name": "lapor_pju", "confidence": 0.93},
            entities=[
                {
                    "entity": "kelurahan",
                    "value": "Bandar Lor",
                    "start": 0,
                    "end": 5,
                    "extractor": "RegexEntityExtractor",
                },
                {"entity": "phone", "value": "081234567890", "start": 30, "end": 44},
            ],
            input_channel="whatsapp",
            metadata={"contact": SEALED},
        )
    )


def test_a_user_message_keeps_intent_confidence_entities_and_channel() -> None:
    row = events.to_row(user_event())
    assert row.kind == "user" and row.sender_key == "pseudo-1"
    assert row.intent == "lapor_pju" and row.confidence == pytest.approx(0.93)
    assert row.channel == "whatsapp"
    assert row.entities is not None
    assert row.entities[0] == {"entity": "kelurahan", "value": "Bandar Lor", "start": 0, "end": 5}


def test_numbers_in_a_user_message_are_masked_in_text_and_entities() -> None:
    row = events.to_row(user_event())
    assert row.text == "lampu mati di depan rumah, hubungi 0812-****-****"
    assert not carries_numbers(json.dumps([row.text, row.entities, row.data]))


def test_metadata_is_never_kept() -> None:
    row = events.to_row(user_event())
    assert SEALED not in repr(row) and "contact" not in repr(row)


def test_a_bot_message_keeps_buttons_and_defaults_to_origin_bot() -> None:
    event = published(
        BotUttered("Pilih salah satu", {"buttons": [{"title": "Ya", "payload": "/affirm"}]})
    )
    row = events.to_row(event)
    assert row.kind == "bot" and row.origin == "bot" and row.text == "Pilih salah satu"
    assert row.data == {"buttons": [{"title": "Ya", "payload": "/affirm"}]}


def test_a_city_notice_keeps_its_origin_and_no_other_metadata() -> None:
    event = published(
        BotUttered("Laporan KDR-2026-000001 selesai", metadata={"origin": "city", "to": SEALED})
    )
    row = events.to_row(event)
    assert row.origin == "city" and SEALED not in repr(row)


def test_an_action_keeps_its_name_and_action_listen_is_not_stored() -> None:
    assert events.to_row(published(ActionExecuted("utter_greet"))).action == "utter_greet"
    assert events.to_row(published(ActionExecuted("action_listen"))).kind is None


def test_session_started_is_stored_and_slots_are_not() -> None:
    assert events.to_row(published(SessionStarted())).kind == "session"
    assert events.to_row(published(SlotSet("kelurahan", "Bandar Lor"))).kind is None


def test_the_event_key_is_the_same_for_the_same_event_whatever_its_key_order() -> None:
    event = user_event()
    reordered = json.loads(json.dumps(dict(reversed(list(event.items())))))
    assert events.event_key(event) == events.event_key(reordered)
    assert events.to_row(event).at == events.to_row(reordered).at


def test_the_event_key_differs_for_another_sender_or_moment() -> None:
    event = user_event()
    assert events.event_key(event) != events.event_key({**event, "sender_id": "pseudo-2"})
    assert events.event_key(event) != events.event_key(
        {**event, "timestamp": event["timestamp"] + 1e-6}
    )


def test_a_long_sender_id_is_hashed_to_fit_the_column() -> None:
    key = events.sender_key("x" * 300)
    assert len(key) <= 128 and key != events.sender_key("x" * 299 + "y")


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'{"event": "user"}', b'{"sender_id": "a"}'])
def test_what_is_not_a_rasa_event_is_refused(body: bytes) -> None:
    with pytest.raises(events.BadEvent):
        events.parse(body)

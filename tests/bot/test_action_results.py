"""The action server's answers are checked against Rasa's schema as before, each
event against its own kind only: the same verdict on any answer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

from bot import action_results, patching

ORIGINAL = patching.original(RemoteAction, "_validate_action_result")
CHECK = action_results.checked(ORIGINAL)
ACTION = RemoteAction("action_check_status", None)

VALID = {
    "events": [
        {"event": "slot", "name": "last_ticket", "value": "KDR-2026-000001"},
        {"event": "action", "name": "action_listen"},
        {"event": "active_loop", "name": None},
    ],
    "responses": [{"text": "Laporan Bapak/Ibu sedang diproses."}],
}
INVALID = [
    {"events": [{"event": "slot"}]},  # a slot event without its name
    {"events": "bukan daftar"},
    {"responses": [1]},
]


def test_a_valid_answer_passes() -> None:
    assert CHECK(ACTION, VALID) is True
    assert CHECK(ACTION, {}) is True


@pytest.mark.parametrize("answer", INVALID)
def test_an_invalid_answer_raises_rasas_own_error(answer: dict) -> None:
    with pytest.raises(ValidationError) as ours:
        CHECK(ACTION, answer)
    with pytest.raises(ValidationError) as rasas:
        ORIGINAL(ACTION, answer)
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_the_two_agree_on_every_event_rasa_knows() -> None:
    """Each event of a real conversation, valid for Rasa, is valid here too."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet

    events = [
        e.as_dict()
        for e in (
            ActionExecuted("utter_greet"),
            BotUttered("Halo"),
            SessionStarted(),
            SlotSet("a", 1),
        )
    ]
    assert ORIGINAL(ACTION, {"events": events}) is True
    assert CHECK(ACTION, {"events": events}) is True


FULL = validators.validator_for(RemoteAction.action_response_format_spec())(
    RemoteAction.action_response_format_spec()
)
KINDS = [*sorted(action_results.checks()[1]), "unknown", ""]
values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)
)
events = st.one_of(
    values,
    st.fixed_dictionaries(
        {"event": st.one_of(st.sampled_from(KINDS), values)},
        optional={
            "name": values,
            "value": values,
            "timestamp": values,
            "metadata": st.one_of(values, st.dictionaries(st.text(max_size=3), values)),
            "entities": st.one_of(
                values,
                st.lists(
                    st.dictionaries(st.sampled_from(["entity", "value", "start"]), values),
                    max_size=2,
                ),
            ),
            "parse_data": st.one_of(
                values,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "intent": st.one_of(
                            values, st.dictionaries(st.sampled_from(["name", "confidence"]), values)
                        )
                    },
                ),
            ),
            "policy": values,
        },
    ),
)
answers = st.one_of(
    values,
    st.fixed_dictionaries(
        {},
        optional={
            "events": st.one_of(values, st.lists(events, max_size=4)),
            "responses": st.one_of(values, st.lists(st.one_of(values, st.just({})), max_size=2)),
        },
    ),
)


@settings(max_examples=400, deadline=None)
@given(answers)
def test_the_verdict_is_rasas_on_any_answer(answer: Any) -> None:
    assert action_results.valid(answer) == FULL.is_valid(answer)

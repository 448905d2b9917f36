"""A citizen hears that the action server is down instead of silence, and the
message can be sent again as if the failed turn had not happened."""

from __future__ import annotations

import contextlib
from typing import Any, List

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from bot import actions_down
from lapor.paths import REPO_ROOT
from tests.servers import free_port

DOMAIN = Domain.load(str(REPO_ROOT / "bot" / "domain"))
NLG = TemplatedNaturalLanguageGenerator(DOMAIN.responses)


def _tracker() -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "warga", [ActionExecuted("action_listen"), UserUttered("lampu jalan mati di jl. dhoho")]
    )


async def _processor_step(run: Any, tracker: DialogueStateTracker, out: Any) -> bool:
    """What MessageProcessor._run_action does around an action: run it, swallow errors."""

    async def run_action(
        _self: Any, action: Any, tracker: Any, output: Any, nlg: Any, _p: Any
    ) -> bool:
        # Rasa logs a failed action and carries on with no events.
        with contextlib.suppress(Exception):
            await action.run(output, nlg, tracker, DOMAIN)
        return True

    explained = actions_down.explaining_failures(run_action)
    down = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
    action = RemoteAction("validate_report_form", down)
    action.run = run.__get__(action)  # type: ignore[method-assign]
    return await explained(None, action, tracker, out, NLG, None)


async def test_an_unreachable_action_server_is_explained_and_the_turn_undone() -> None:
    tracker, out = _tracker(), CollectingOutputChannel()
    more = await _processor_step(actions_down.noting_failures(RemoteAction.run), tracker, out)
    assert more is False  # the turn ends: Rasa listens
    (said,) = out.messages
    assert "belum dapat kami proses" in said["text"] and "112" in said["text"]
    # The message is reverted: sent again, it starts from where the conversation was.
    assert (
        tracker.latest_message is None
        or tracker.latest_message.text != "lampu jalan mati di jl. dhoho"
    )
    assert any(isinstance(e, BotUttered) and e.text == said["text"] for e in tracker.events)


async def test_an_action_that_ran_changes_nothing() -> None:
    async def fine(*_args: object) -> List[Event]:
        return []

    tracker, out = _tracker(), CollectingOutputChannel()
    assert await _processor_step(actions_down.noting_failures(fine), tracker, out) is True
    assert out.messages == []
    assert tracker.latest_message.text == "lampu jalan mati di jl. dhoho"


async def test_a_validation_rejection_is_rasas_normal_flow() -> None:
    async def rejecting(*_args: object) -> List[Event]:
        raise ActionExecutionRejection("validate_report_form")

    with pytest.raises(ActionExecutionRejection):
        await actions_down.noting_failures(rejecting)(
            RemoteAction("x", None), None, None, None, None
        )


async def test_a_failure_is_noted_and_raised_for_rasa_to_handle() -> None:
    down = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
    run = actions_down.noting_failures(RemoteAction.run)
    with pytest.raises(RasaException):
        await run(
            RemoteAction("action_submit_report", down),
            CollectingOutputChannel(),
            NLG,
            _tracker(),
            DOMAIN,
        )

"""A citizen hears that the action server is down instead of silence."""

from __future__ import annotations

from typing import List

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, FollowupAction, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import actions_down
from lapor.paths import REPO_ROOT
from tests.servers import free_port

DOMAIN = Domain.load(str(REPO_ROOT / "bot" / "domain"))


def _tracker(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("warga", [ActionExecuted("action_listen"), *events])


async def _run(tracker: DialogueStateTracker) -> List[Event]:
    down = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
    action = RemoteAction("action_submit_report", down)
    run = actions_down.wrap(RemoteAction.run)
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    return await run(action, CollectingOutputChannel(), nlg, tracker, DOMAIN)


async def test_an_unreachable_action_server_is_explained_to_the_citizen() -> None:
    events = await _run(_tracker(UserUttered("lampu jalan mati di jl. dhoho")))
    said, then = events
    assert isinstance(said, BotUttered)
    assert "belum tercatat" in said.text and "112" in said.text
    assert then == FollowupAction("action_listen")


async def test_it_is_said_once_per_turn() -> None:
    first = await _run(_tracker(UserUttered("jalan rusak")))
    again = await _run(_tracker(UserUttered("jalan rusak"), *first))
    assert again == [FollowupAction("action_listen")]


async def test_a_validation_rejection_is_rasas_normal_flow() -> None:
    async def rejecting(*_args: object) -> List[Event]:
        raise ActionExecutionRejection("validate_report_form")

    run = actions_down.wrap(rejecting)
    with pytest.raises(ActionExecutionRejection):
        await run(None, None, None, None, None)

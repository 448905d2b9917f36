"""The tracker stores publish each event once without loading the tracker again,
and production's Redis store keeps the latest session only, so a months-long
WhatsApp conversation does not grow the key every turn reads."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
import redis
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from backend.pipeline.events import event_key
from bot.__main__ import broker_environment
from bot.settings import BotSettings
from bot.tracker_store import InMemoryStore, LatestSessionRedisTrackerStore, turn_published_again
from lapor.paths import REPO_ROOT
from tests.rabbit import delete_queue, queue_name
from tests.test_pipeline_e2e import queue_length

DOMAIN = Domain.load(str(REPO_ROOT / "bot" / "domain"))


def _session(text: str) -> list:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered(text),
    ]


@pytest.fixture
def endpoint_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables endpoints*.yml read, as python -m bot sets them."""
    for name, value in broker_environment(BotSettings(redis_host="127.0.0.1")).items():
        monkeypatch.setenv(name, value)
    for name in ("ACTION_ENDPOINT_URL", "ACTION_SERVER_TOKEN"):
        monkeypatch.setenv(name, "x")


@pytest.fixture
def store(endpoint_env: None) -> LatestSessionRedisTrackerStore:
    config = read_endpoint_config(str(REPO_ROOT / "endpoints.production.yml"), "tracker_store")
    created = TrackerStore.create(config, DOMAIN)
    assert isinstance(created, LatestSessionRedisTrackerStore)  # not Rasa's silent fallback
    created.key_prefix = f"test-{uuid.uuid4().hex[:8]}:"
    return created


async def test_a_save_keeps_the_latest_session_only(store: LatestSessionRedisTrackerStore) -> None:
    first = DialogueStateTracker.from_events("warga", _session("lampu mati"), slots=DOMAIN.slots)
    await store.save(first)
    # The next turn works on the latest session and starts another one.
    turn = await store.retrieve("warga")
    assert turn is not None
    for event in _session("cek status"):
        turn.update(event)
    await store.save(turn)
    latest = await store.retrieve("warga")
    assert latest is not None and latest.latest_message.text == "cek status"
    # Another turn in the new session: the first session is gone from Redis.
    latest.update(UserUttered("terima kasih"))
    await store.save(latest)
    kept = await store.retrieve_full_tracker("warga")
    assert kept is not None
    texts = [e.text for e in kept.events if isinstance(e, UserUttered)]
    assert texts == ["cek status", "terima kasih"]
    ttl = redis.Redis(host="127.0.0.1").ttl(store.key_prefix + "warga")
    assert 0 < ttl <= 15552000  # record_exp still applies
    redis.Redis(host="127.0.0.1").delete(store.key_prefix + "warga")


def test_production_endpoints_name_the_class() -> None:
    assert (
        "bot.tracker_store.LatestSessionRedisTrackerStore"
        in Path(REPO_ROOT / "endpoints.production.yml").read_text()
    )


class _Broker(EventBroker):
    def __init__(self) -> None:
        self.published: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.published.append(event)


def _texts(broker: _Broker) -> List[str]:
    return [e["text"] for e in broker.published if e["event"] == "user"]


async def test_each_event_is_published_once_without_loading_the_tracker_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broker = _Broker()
    store = InMemoryStore(DOMAIN, broker)
    tracker = await store.get_or_create_tracker("warga")
    tracker.update(UserUttered("lampu mati"))
    await store.save(tracker)
    loads = []
    original = InMemoryTrackerStore.retrieve

    async def counted(self: Any, sender_id: str) -> Any:
        loads.append(sender_id)
        return await original(self, sender_id)

    monkeypatch.setattr(InMemoryTrackerStore, "retrieve", counted)
    turn = await store.retrieve("warga")
    assert turn is not None
    turn.update(UserUttered("lewati"))
    await store.save(turn)
    turn.update(UserUttered("ya"))
    await store.save(turn)  # the same object saved again: only what is new since
    assert loads == ["warga"]  # the turn's own load, no second one to publish
    assert _texts(broker) == ["lampu mati", "lewati", "ya"]
    assert [e["event"] for e in broker.published][:1] == ["action"]  # action_listen


def test_make_runs_endpoints_name_the_in_memory_store(endpoint_env: None) -> None:
    config = read_endpoint_config(str(REPO_ROOT / "endpoints.yml"), "tracker_store")
    assert isinstance(TrackerStore.create(config, DOMAIN), InMemoryStore)


async def test_a_replica_killed_right_after_a_save_has_published_its_events(
    store: LatestSessionRedisTrackerStore,
) -> None:
    queue = queue_name("test_confirmed")
    broker = PikaEventBroker(
        "localhost", "guest", "guest", queues=[queue], exchange_name=f"{queue}_x"
    )
    await broker.connect()
    store.event_broker = broker
    try:
        tracker = DialogueStateTracker.from_events("warga", _session("lampu mati"))
        await store.save(tracker)
        # SIGKILL now: whatever Rasa's broker still had to send never goes.
        for task in list(broker._background_tasks):
            task.cancel()
        assert await queue_length(queue) == len(tracker.events)
    finally:
        await broker.close()
        await delete_queue(queue, exchange=f"{queue}_x")
        redis.Redis(host="127.0.0.1").delete(store.key_prefix + "warga")


async def test_a_stored_turn_is_published_again_exactly_as_it_was() -> None:
    broker = _Broker()
    store = InMemoryStore(DOMAIN, broker)
    tracker = await store.get_or_create_tracker("warga")
    tracker.update(UserUttered("lampu mati", message_id="SM1"))
    await store.save(tracker)
    turn = await store.retrieve("warga")
    assert turn is not None
    turn.update(UserUttered("lewati", message_id="SM2"))
    turn.update(ActionExecuted("action_listen"))
    await store.save(turn)
    first = [event_key(body) for body in broker.published]
    broker.published.clear()

    assert await turn_published_again(store, "warga", "SM2")
    # The same bodies: the conversation log stores each once (its event_key).
    assert [event_key(body) for body in broker.published] == first[-2:]
    assert not await turn_published_again(store, "warga", "SM-never-seen")
    assert not await turn_published_again(store, "nobody", "SM1")

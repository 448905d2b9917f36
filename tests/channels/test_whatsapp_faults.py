"""A citizen's WhatsApp message survives a dead process and an unreachable Redis."""

from __future__ import annotations

import asyncio
import uuid
from typing import Type, TypeVar

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.whatsapp import WhatsAppInput
from lapor.whatsapp.state import ChannelState, RedisStore
from tests.channels.conftest import WEBHOOK, Harness, make_channel, message_form
from tests.fake_twilio import FakeTwilio
from tests.servers import Server, free_port

REDIS = "redis://127.0.0.1:6379/0"


def _sid() -> str:
    return f"SM{uuid.uuid4().hex}"


def _redis_store() -> RedisStore:
    # A prefix of its own: the test sees only the messages it sent.
    return RedisStore(REDIS, prefix=f"lapor:test:{uuid.uuid4().hex[:8]}:")


def _replica(fake: FakeTwilio, backend: Server, store: RedisStore) -> WhatsAppInput:
    """A Rasa replica's channel whose hold on a message lapses after a second."""
    channel = make_channel(fake, backend, store)
    channel.state = ChannelState(store, lease_ttl=1)
    return channel


H = TypeVar("H", bound=Harness)


class Replicas:
    """Replicas of the channel (each a Harness of some kind) sharing one Redis."""

    def __init__(self, fake: FakeTwilio, backend: Server) -> None:
        self.fake, self.backend, self.store = fake, backend, _redis_store()

    def start(self, kind: Type[H]) -> H:
        return kind(_replica(self.fake, self.backend, self.store))


@pytest.fixture
def replicas(fake: FakeTwilio, live_backend: Server) -> Replicas:
    return Replicas(fake, live_backend)


class Hanging(Harness):
    """A bot whose turn never ends: the process dies in the middle of it."""

    async def _on_message(self, message: UserMessage) -> None:
        self.received.append(message)
        await asyncio.Event().wait()

    async def started(self) -> None:
        """Returns once the bot is in the middle of its turn."""
        for _ in range(200):
            if self.received:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the turn never started")

    def die(self) -> None:
        for task in list(self.channel._tasks):
            task.cancel()


async def test_a_message_whose_process_died_mid_turn_is_run_by_another_replica(
    replicas: Replicas,
) -> None:
    dying = replicas.start(Hanging)
    form = message_form(_sid(), body="lampu jalan mati di gang 3")
    assert (await dying.post(WEBHOOK, form)).status == 200
    await dying.started()
    dying.die()  # the process is gone
    await asyncio.sleep(0.05)

    survivor = replicas.start(Harness)
    # Twilio's retry of the same message is not run twice...
    assert (await survivor.post(WEBHOOK, form)).status == 200
    await asyncio.sleep(0.1)
    assert survivor.received == []
    # ...but once the dead process's lease is over, a replica runs it.
    await asyncio.sleep(1.2)
    assert await survivor.channel.recover(survivor._on_message) == 1
    await survivor.settle(1)
    assert survivor.received[0].text == "lampu jalan mati di gang 3"
    # Done now: neither a retry nor another recovery runs it again.
    assert await survivor.channel.recover(survivor._on_message) == 0
    await survivor.post(WEBHOOK, form)
    await asyncio.sleep(0.1)
    assert len(survivor.received) == 1


async def test_a_senders_next_message_waits_for_the_one_a_dead_replica_held(
    replicas: Replicas,
) -> None:
    dying = replicas.start(Hanging)
    survivor = replicas.start(Harness)
    sender = "whatsapp:+6281233334444"
    await dying.post(WEBHOOK, message_form(_sid(), body="pertama", sender=sender))
    await dying.started()
    await survivor.post(WEBHOOK, message_form(_sid(), body="kedua", sender=sender))
    await asyncio.sleep(1.5)  # past the lease: the living process keeps renewing it
    assert await survivor.channel.recover(survivor._on_message) == 0
    assert survivor.received == []  # the second waits while the first runs
    dying.die()  # now the process is gone
    await asyncio.sleep(1.2)
    # The survivor runs the first one again, then the second, in that order.
    assert await survivor.channel.recover(survivor._on_message) == 1
    await survivor.settle(2)
    assert [m.text for m in survivor.received] == ["pertama", "kedua"]


class ChangingTheButtons(Hanging):
    """Dies after its reply offered new buttons (the confirmation)."""

    async def _on_message(self, message: UserMessage) -> None:
        self.received.append(message)
        confirm = [{"title": "Ya, kirim", "payload": "/affirm"}]
        await self.channel.state.remember_buttons(str(message.sender_id), confirm)
        await asyncio.Event().wait()


async def test_a_message_run_again_means_what_it_meant_the_first_time(
    replicas: Replicas,
) -> None:
    dying = replicas.start(ChangingTheButtons)
    sender = "whatsapp:+6281255556666"
    skip = [{"title": "Lewati", "payload": "/deny"}]  # the photo question's button
    await dying.channel.state.remember_buttons(dying.channel.cipher.pseudonym(sender), skip)
    await dying.post(WEBHOOK, message_form(_sid(), body="lewati", sender=sender))
    await dying.started()
    assert dying.received[0].text == "/deny"
    dying.die()
    await asyncio.sleep(1.2)
    survivor = replicas.start(Harness)
    assert await survivor.channel.recover(survivor._on_message) == 1
    await survivor.settle(1)
    # Not read against the confirmation's buttons, which the first run sent.
    assert survivor.received[0].text == "/deny"


class SavedThenDied(Hanging):
    """Its turn reaches Rasa's tracker store (replies sent), then the process
    dies before marking the message done."""

    def __init__(self, channel: WhatsAppInput, trackers: InMemoryTrackerStore) -> None:
        super().__init__(channel)
        self.trackers = trackers

    async def _on_message(self, message: UserMessage) -> None:
        self.received.append(message)
        said = UserUttered(message.text, message_id=message.message_id)
        await self.trackers.save(DialogueStateTracker.from_events(message.sender_id, [said]))
        await asyncio.Event().wait()


async def test_a_message_answered_before_its_process_died_is_not_answered_again(
    replicas: Replicas,
) -> None:
    trackers = InMemoryTrackerStore(Domain.empty())
    saved = SavedThenDied(_replica(replicas.fake, replicas.backend, replicas.store), trackers)
    cut_short = replicas.start(Hanging)  # died mid-turn: nothing saved
    await saved.post(WEBHOOK, message_form(_sid(), body="sudah dijawab", sender="whatsapp:+62811"))
    await cut_short.post(WEBHOOK, message_form(_sid(), body="belum", sender="whatsapp:+62822"))
    await saved.started()
    await cut_short.started()
    saved.die()
    cut_short.die()
    await asyncio.sleep(1.2)
    survivor = replicas.start(Harness)
    survivor.channel.trackers = lambda: trackers  # the replicas' shared tracker store
    assert await survivor.channel.recover(survivor._on_message) == 1
    await survivor.settle(1)
    assert [m.text for m in survivor.received] == ["belum"]
    # The answered one is done: neither recovered nor taken from a retry again.
    await asyncio.sleep(1.2)
    assert await survivor.channel.recover(survivor._on_message) == 0
    assert len(survivor.received) == 1


async def test_a_finished_turn_leaves_nothing_to_recover(
    fake: FakeTwilio, live_backend: Server
) -> None:
    channel = _replica(fake, live_backend, _redis_store())
    harness = Harness(channel)
    await harness.post(WEBHOOK, message_form(_sid()))
    await harness.settle(1)
    await asyncio.sleep(1.2)
    assert await channel.recover(harness._on_message) == 0
    assert len(harness.received) == 1


async def test_with_redis_unreachable_the_message_is_still_answered(
    fake: FakeTwilio, live_backend: Server
) -> None:
    nobody = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    harness = Harness(make_channel(fake, live_backend, nobody), reply=lambda _: "Baik, Bapak/Ibu.")
    sender = "whatsapp:+6281211112222"
    response = await harness.post(WEBHOOK, message_form(_sid(), body="halo", sender=sender))
    assert response.status == 200
    await harness.settle(1)
    assert harness.received[0].text == "halo"
    (reply,) = fake.messages()
    assert reply["To"] == sender and reply["Body"] == "Baik, Bapak/Ibu."

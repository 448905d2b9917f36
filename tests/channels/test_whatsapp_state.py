"""The WhatsApp channel's shared state (lapor/whatsapp/state.py): accepting a
message, in Redis as every replica shares it and in memory for `make run`."""

from __future__ import annotations

import time
import uuid
from typing import AsyncIterator

import pytest
import redis

from lapor.whatsapp.state import INBOX, ChannelState, MemoryStore, RedisStore, Store

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["redis", "memory"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    prefix = f"lapor:test:{uuid.uuid4().hex[:8]}:"
    yield RedisStore(REDIS_URL, prefix=prefix)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


async def test_an_accepted_message_is_held_queued_leased_and_recoverable_at_once(
    store: Store,
) -> None:
    state = ChannelState(store, lease_ttl=30)
    assert await state.accept("SM1", {"Body": "lampu mati"}, "whatsapp:+6281")
    assert await store.get("inbox:SM1") == '{"Body": "lampu mati"}'
    assert await store.get("lease:SM1") is not None
    assert await store.queue_head("order:whatsapp:+6281") == "SM1"
    # In the index the replicas recover stranded messages from.
    assert await store.index_upto(INBOX, time.time() + 1, 10) == ["SM1"]


async def test_a_retried_webhook_is_refused_and_keeps_one_place_in_line(store: Store) -> None:
    state = ChannelState(store, lease_ttl=30)
    assert await state.accept("SM1", {"Body": "a"}, "whatsapp:+6281")
    assert not await state.accept("SM1", {"Body": "a"}, "whatsapp:+6281")
    await store.queue_remove("order:whatsapp:+6281", "SM1")
    assert await store.queue_head("order:whatsapp:+6281") is None


async def test_a_message_done_is_not_accepted_again(store: Store) -> None:
    state = ChannelState(store, lease_ttl=30)
    assert await state.accept("SM1", {"Body": "a"}, "whatsapp:+6281")
    await state.done("SM1", "whatsapp:+6281")
    assert not await state.accept("SM1", {"Body": "a"}, "whatsapp:+6281")
    assert await store.get("inbox:SM1") is None
    assert await store.queue_head("order:whatsapp:+6281") is None
    assert await store.index_upto(INBOX, time.time() + 1, 10) == []


async def test_a_message_whose_lease_lapsed_is_claimed_by_one_replica(store: Store) -> None:
    first, second = ChannelState(store, lease_ttl=30), ChannelState(store, lease_ttl=30)
    assert await first.accept("SM1", {"Body": "a"}, "whatsapp:+6281")
    await store.delete("lease:SM1")  # its replica died and stopped renewing
    claimed = await second.stranded(older_than=-1)
    assert claimed == [("SM1", {"Body": "a"})]
    assert await first.stranded(older_than=-1) == []

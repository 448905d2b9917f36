"""Rasa's tracker stores, made to cost in proportion to a turn, not a conversation.

Two changes to Rasa's in-memory (`make run`) and Redis (production) stores:

- **Publishing the new events.** Before it saves, Rasa loads the stored tracker
  again, only to count its events and publish the ones after them. Here the
  tracker remembers how many events it had when it was loaded (or last saved),
  so the new ones are known without that second load.
- **Only the latest session in Redis.** Rasa's RedisTrackerStore merges each
  save into everything ever stored under the conversation: a WhatsApp
  citizen's key grows for months, and every load parses all of it before
  keeping the latest session. Here a save replaces the key with the tracker
  the turn worked on: the latest session, plus the one the turn began if it
  started a new one (the in-memory store already does this). The earlier
  sessions are not lost: every event went through the event broker into the
  backend's conversation log (docs/pipeline.md), which the console reads.
- **A save returns once RabbitMQ has the events.** Rasa's pika broker
  publishes in a background task: a turn finished, answered and marked done
  before its events reached RabbitMQ, and a replica killed in those
  milliseconds lost them from the conversation log (make test-cluster's kill
  test saw it). The Redis store stores the turn, then publishes it and waits
  for the broker's publisher confirms (a few ms); a turn stored but perhaps
  not published is published again by whichever replica finds its message
  unfinished (turn_published_again, bot/channels/whatsapp.py).

endpoints.yml and endpoints.production.yml name these classes; their keys are
those of Rasa's `in_memory` and `redis` stores.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any, List, Optional, Text

from rasa.core.tracker_store import (
    InMemoryTrackerStore,
    RedisTrackerStore,
    TrackerEventDiffEngine,
    TrackerStore,
)
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

# The number of a tracker object's events that are stored (set on the object).
STORED = "_lapor_stored_events"
# How long a save waits for RabbitMQ to confirm a turn's events (normally a few
# milliseconds). A broker that is blocked or reconnecting does not hold the
# citizen's answer longer: the publish goes on, and Rasa keeps and resends
# what fails.
CONFIRM_SECONDS = 2.0


class _PublishesWhatIsNew(TrackerStore):
    """Publishes a save's new events without loading the stored tracker again."""

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is not None:
            await publish(self, tracker.sender_id, await self.new_events(tracker))

    async def new_events(self, tracker: DialogueStateTracker) -> List[Event]:
        """The tracker's events that are not stored yet."""
        stored: Any = getattr(tracker, STORED, None)
        if stored is None:
            # A tracker this store did not hand out: Rasa's way (load and compare).
            old = await self.retrieve(tracker.sender_id)
            return list(TrackerEventDiffEngine.event_difference(old, tracker))
        return list(itertools.islice(tracker.events, stored, len(tracker.events)))

    @staticmethod
    def _saved(tracker: DialogueStateTracker) -> None:
        setattr(tracker, STORED, len(tracker.events))


class InMemoryStore(_PublishesWhatIsNew, InMemoryTrackerStore):
    """endpoints.yml: one Rasa process's conversations, in its memory."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        self._saved(tracker)


class LatestSessionRedisTrackerStore(_PublishesWhatIsNew, RedisTrackerStore):
    """endpoints.production.yml: conversations every Rasa replica shares."""

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        new = await self.new_events(tracker) if self.event_broker is not None else []
        self.red.set(
            self.key_prefix + tracker.sender_id,
            self.serialise_tracker(tracker),
            ex=timeout or self.record_exp,
        )
        # Published once stored: a replica that dies in between (the wait for
        # RabbitMQ lets other turns run) leaves a turn another replica finds
        # stored and publishes again (turn_published_again), instead of one
        # published but not stored, which it would run, and answer, again.
        await publish(self, tracker.sender_id, new)
        self._saved(tracker)


async def turn_published_again(store: TrackerStore, sender_id: Text, message_id: Text) -> bool:
    """Whether the turn of the message `message_id` is stored; if so, its events
    (that message and everything after it) are published again.

    For a message whose replica died after storing its turn but before the
    channel marked it done: it was answered (Rasa sends each reply as its
    action runs, before the save), and what may not have reached the
    conversation log goes now. The log keeps an event once (its event_key:
    the same event publishes the same body), so repeats are no-ops.
    """
    tracker = await store.retrieve(sender_id)
    events = list(tracker.events) if tracker is not None else []
    start = next(
        (
            i
            for i, event in enumerate(events)
            if isinstance(event, UserUttered) and event.message_id == message_id
        ),
        None,
    )
    if start is None:
        return False
    await publish(store, sender_id, events[start:])
    return True


async def publish(store: TrackerStore, sender_id: Text, events: List[Event]) -> None:
    """`events` to the store's event broker, returning once it has them."""
    if store.event_broker is None or not events:
        return
    await store._stream_new_events(store.event_broker, events, sender_id)
    await confirmed(store.event_broker)


async def confirmed(broker: Any) -> None:
    """Waits (at most CONFIRM_SECONDS) until what `broker` was given is published.

    Rasa 3.6's PikaEventBroker keeps its publishing tasks in
    `_background_tasks`; each ends when RabbitMQ confirms the persistent
    message (aio-pika opens the channel with publisher confirms). Other
    brokers have none: the SQL one writes its own queue (bot/event_broker.py).
    """
    pending = [task for task in getattr(broker, "_background_tasks", ()) if not task.done()]
    if not pending:
        return
    _, late = await asyncio.wait(pending, timeout=CONFIRM_SECONDS)
    if late:
        logger.warning(
            "RabbitMQ has not confirmed %d events after %.0f s; the turn goes on",
            len(late),
            CONFIRM_SECONDS,
        )

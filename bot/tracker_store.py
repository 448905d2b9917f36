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

endpoints.yml and endpoints.production.yml name these classes; their keys are
those of Rasa's `in_memory` and `redis` stores.
"""

from __future__ import annotations

import itertools
from typing import Any, Optional, Text

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

# The number of a tracker object's events that are stored (set on the object).
STORED = "_lapor_stored_events"


class _PublishesWhatIsNew(TrackerStore):
    """Publishes a save's new events without loading the stored tracker again."""

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        stored: Any = getattr(tracker, STORED, None)
        if self.event_broker is None or stored is None:
            # A tracker this store did not hand out: Rasa's way (load and compare).
            await super().stream_events(tracker)
            return
        new = list(itertools.islice(tracker.events, stored, len(tracker.events)))
        await self._stream_new_events(self.event_broker, new, tracker.sender_id)

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
        await self.stream_events(tracker)
        self.red.set(
            self.key_prefix + tracker.sender_id,
            self.serialise_tracker(tracker),
            ex=timeout or self.record_exp,
        )
        self._saved(tracker)

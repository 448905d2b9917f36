"""What the WhatsApp channel remembers between webhooks.

Kept in Redis (`REDIS_URL`) so that every Rasa replica sees the same state:
the inbox of accepted messages until their turn has run (Twilio's retries are
answered once, and a message whose process died mid-turn is picked up again),
each sender's queue of accepted messages (one sender's turns run one at a
time, in the order they arrived, whichever replica received each),
the numbered buttons each sender was last shown, each sender's last inbound
time (WhatsApp's 24-hour window), the sealed number behind each pseudonym
(lapor/contact.py), who was already sent the privacy notice (first contact)
and the delivery status of sent messages. Without
REDIS_URL (`make run` on one process) a process-local store stands in.

When Redis is unreachable a message is still processed: deduplication is
degraded (logged), never a reason to drop what a citizen sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    List,
    Optional,
    Protocol,
    Tuple,
    TypeVar,
)

from lapor.settings import WhatsAppSettings

logger = logging.getLogger(__name__)

DAY = 24 * 3600
SEEN_TTL = 2 * DAY
STATUS_TTL = 30 * DAY
CONTACT_TTL = 30 * DAY
# A citizen is told the privacy notice once; one back after more than a year
# (past every retention period) is told again.
NOTICE_TTL = 400 * DAY
# How long a message's hold lasts without renewal: a process renews it every
# third of this while the message waits or runs, so only a process that died
# lets it lapse, and another replica then runs the message again.
LEASE_TTL = 60
INBOX = "inbox"
# How often a message waiting behind its sender's earlier one looks again
# (when that one ran in another replica; in this process it is woken at once).
WAIT_POLL = 0.05

T = TypeVar("T")

# A message's acceptance, all or nothing: its inbox entry (a retried MessageSid
# is refused while it exists or once done), its lease, its place in the
# sender's queue (expiring: a queue nobody finishes goes away) and its entry in
# the index the replicas recover from. Done in steps, a replica killed between
# them left a message held in the inbox but in no index: HAProxy's retry of the
# same webhook on the other replica was refused as a duplicate, and the
# message was never run (make test-cluster's kill test saw it).
# KEYS: done, inbox, lease, order, index; ARGV: sid, form, seen ttl, lease ttl, now.
ADMIT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[3]) then return 0 end
redis.call('SET', KEYS[3], '1', 'EX', ARGV[4])
redis.call('RPUSH', KEYS[4], ARGV[1])
redis.call('EXPIRE', KEYS[4], ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
return 1
"""


class Store(Protocol):
    async def set_once(self, key: str, ttl: int, value: str = "1") -> bool: ...
    async def put(self, key: str, value: str, ttl: int) -> None: ...
    async def get(self, key: str) -> Optional[str]: ...
    async def delete(self, *keys: str) -> None: ...
    async def admit(self, sid: str, form: str, order: str, lease_ttl: int) -> bool: ...
    async def index_upto(self, index: str, score: float, limit: int) -> List[str]: ...
    async def index_remove(self, index: str, member: str) -> None: ...
    async def queue_head(self, key: str) -> Optional[str]: ...
    async def queue_remove(self, key: str, member: str) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self._data: Dict[str, tuple[str, float]] = {}
        self._indexes: Dict[str, Dict[str, float]] = {}
        self._queues: Dict[str, List[str]] = {}

    def _live(self, key: str) -> Optional[str]:
        item = self._data.get(key)
        if item and item[1] > time.time():
            return item[0]
        self._data.pop(key, None)
        return None

    async def set_once(self, key: str, ttl: int, value: str = "1") -> bool:
        if self._live(key) is not None:
            return False
        self._data[key] = (value, time.time() + ttl)
        return True

    async def put(self, key: str, value: str, ttl: int) -> None:
        self._data[key] = (value, time.time() + ttl)

    async def get(self, key: str) -> Optional[str]:
        return self._live(key)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(key, None)

    async def admit(self, sid: str, form: str, order: str, lease_ttl: int) -> bool:
        # No await inside: one step of the event loop, as the script is in Redis.
        if self._live(f"done:{sid}") is not None or self._live(f"inbox:{sid}") is not None:
            return False
        self._data[f"inbox:{sid}"] = (form, time.time() + SEEN_TTL)
        self._data[f"lease:{sid}"] = ("1", time.time() + lease_ttl)
        self._queues.setdefault(order, []).append(sid)
        self._indexes.setdefault(INBOX, {})[sid] = time.time()
        return True

    async def index_upto(self, index: str, score: float, limit: int) -> List[str]:
        members = sorted(self._indexes.get(index, {}).items(), key=lambda item: item[1])
        return [member for member, at in members if at <= score][:limit]

    async def index_remove(self, index: str, member: str) -> None:
        self._indexes.get(index, {}).pop(member, None)

    async def queue_head(self, key: str) -> Optional[str]:
        queue = self._queues.get(key)
        return queue[0] if queue else None

    async def queue_remove(self, key: str, member: str) -> None:
        queue = self._queues.get(key, [])
        if member in queue:
            queue.remove(member)
        if not queue:
            self._queues.pop(key, None)


class RedisStore:
    def __init__(self, url: str, prefix: str = "lapor:whatsapp:") -> None:
        import redis.asyncio as redis

        # Short timeouts: an unreachable Redis must degrade a turn, not stall it.
        self._redis = redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2, socket_timeout=2
        )
        self._prefix = prefix
        self._admit = self._redis.register_script(ADMIT)

    async def set_once(self, key: str, ttl: int, value: str = "1") -> bool:
        return bool(await self._redis.set(self._prefix + key, value, nx=True, ex=ttl))

    async def put(self, key: str, value: str, ttl: int) -> None:
        await self._redis.set(self._prefix + key, value, ex=ttl)

    async def get(self, key: str) -> Optional[str]:
        value = await self._redis.get(self._prefix + key)
        return str(value) if value is not None else None

    async def delete(self, *keys: str) -> None:
        await self._redis.delete(*(self._prefix + key for key in keys))

    async def admit(self, sid: str, form: str, order: str, lease_ttl: int) -> bool:
        names = (f"done:{sid}", f"inbox:{sid}", f"lease:{sid}", order, INBOX)
        keys = [self._prefix + name for name in names]
        args = [sid, form, SEEN_TTL, lease_ttl, time.time()]
        return bool(await self._admit(keys=keys, args=args))

    async def index_upto(self, index: str, score: float, limit: int) -> List[str]:
        found = await self._redis.zrangebyscore(self._prefix + index, 0, score, 0, limit)
        return [str(member) for member in found]

    async def index_remove(self, index: str, member: str) -> None:
        await self._redis.zrem(self._prefix + index, member)

    async def queue_head(self, key: str) -> Optional[str]:
        head = await self._redis.lindex(self._prefix + key, 0)
        return str(head) if head is not None else None

    async def queue_remove(self, key: str, member: str) -> None:
        await self._redis.lrem(self._prefix + key, 1, member)


def store_from_settings(settings: WhatsAppSettings) -> Store:
    """Redis when REDIS_URL is set; otherwise this process's memory (one replica)."""
    return RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()


class ChannelState:
    def __init__(self, store: Store, lease_ttl: int = LEASE_TTL) -> None:
        self.store = store
        self.lease_ttl = lease_ttl
        # This process's own copy of the numbers it is replying to, so a turn
        # still reaches the citizen while Redis is unreachable.
        self._contacts: OrderedDict[str, str] = OrderedDict()
        # Wakes this process's waiters when one of its own turns ends.
        self._turn_ended = asyncio.Condition()

    async def _degraded(self, what: str, operation: Awaitable[T], default: T) -> T:
        try:
            return await operation
        except Exception as exc:  # Redis down or timing out: go on without it
            logger.warning("channel state unavailable (%s), degraded: %r", what, exc)
            return default

    # -- the inbox: accepted once, done only after the turn ------------------

    async def accept(self, message_sid: str, form: Dict[str, str], sender: str) -> bool:
        """True when this process should run the message now (first arrival).

        A retried MessageSid is refused while its turn runs or after it ran.
        When the store is unreachable the message is accepted anyway: a rare
        duplicate reply is better than a lost report.
        """
        accepting = self._accept(message_sid, form, sender)
        return await self._degraded("accept", accepting, True)

    async def _accept(self, message_sid: str, form: Dict[str, str], sender: str) -> bool:
        # Its place in the sender's queue is taken here, when the webhook
        # arrives: the order Twilio delivered them in, whichever replica got each.
        order = f"order:{sender}"
        return await self.store.admit(message_sid, json.dumps(form), order, self.lease_ttl)

    @contextlib.asynccontextmanager
    async def turn(self, message_sid: str, sender: str) -> AsyncIterator[None]:
        """Held while the message waits for its sender's earlier ones and runs.

        The lease is renewed every third of its time, so a turn may take as
        long as it needs; only a process that died lets it lapse.
        """
        keeping = asyncio.ensure_future(self._keep_lease(message_sid))
        try:
            await self._wait_turn(message_sid, sender)
            yield
        finally:
            keeping.cancel()

    async def _keep_lease(self, message_sid: str) -> None:
        while True:
            lease = self.store.put(f"lease:{message_sid}", "1", self.lease_ttl)
            await self._degraded("lease", lease, None)
            await asyncio.sleep(self.lease_ttl / 3)

    async def _wait_turn(self, message_sid: str, sender: str) -> None:
        """Returns once every message the sender sent before this one is done."""
        queue = f"order:{sender}"
        while True:
            head = await self._degraded("order", self.store.queue_head(queue), None)
            if head is None or head == message_sid:
                return  # first in line (or the queue is unreachable: run it anyway)
            if await self._finished(head):
                await self._degraded("order", self.store.queue_remove(queue, head), None)
                continue
            # The earlier message is running or waits to be recovered (its
            # process died: another replica runs it once its lease lapses).
            async with self._turn_ended:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._turn_ended.wait(), WAIT_POLL)

    async def _finished(self, message_sid: str) -> bool:
        done = await self._degraded("order", self.store.get(f"done:{message_sid}"), None)
        held = await self._degraded("order", self.store.get(f"inbox:{message_sid}"), "")
        return done is not None or held is None

    async def done(self, message_sid: str, sender: str) -> None:
        await self._degraded("done", self._done(message_sid, sender), None)
        async with self._turn_ended:
            self._turn_ended.notify_all()

    async def _done(self, message_sid: str, sender: str) -> None:
        await self.store.put(f"done:{message_sid}", "1", SEEN_TTL)
        await self.store.queue_remove(f"order:{sender}", message_sid)
        await self.store.index_remove(INBOX, message_sid)
        await self.store.delete(
            f"inbox:{message_sid}", f"lease:{message_sid}", f"reading:{message_sid}"
        )

    async def stranded(
        self, older_than: float = LEASE_TTL, limit: int = 50
    ) -> List[Tuple[str, Dict[str, str]]]:
        """Accepted messages whose turn never finished, claimed for this process."""
        return await self._degraded("stranded", self._stranded(older_than, limit), [])

    async def _stranded(self, older_than: float, limit: int) -> List[Tuple[str, Dict[str, str]]]:
        claimed: List[Tuple[str, Dict[str, str]]] = []
        for sid in await self.store.index_upto(INBOX, time.time() - older_than, limit):
            if not await self.store.set_once(f"lease:{sid}", self.lease_ttl):
                continue  # another process is running it
            raw = await self.store.get(f"inbox:{sid}")
            if raw is None or await self.store.get(f"done:{sid}") is not None:
                await self.store.index_remove(INBOX, sid)
                continue
            claimed.append((sid, dict(json.loads(raw))))
        return claimed

    async def first_reading(self, message_sid: str, read: Callable[[], Awaitable[str]]) -> str:
        """`read()`'s answer the first time this message was run, kept with it."""
        kept = await self._degraded("reading", self.store.get(f"reading:{message_sid}"), None)
        if kept is not None:
            return kept
        text = await read()
        await self._degraded("reading", self.store.put(f"reading:{message_sid}", text, DAY), None)
        return text

    # -- what the conversation needs between turns ----------------------------

    async def remember_buttons(self, sender: str, buttons: List[Dict[str, Any]]) -> None:
        await self._degraded(
            "buttons", self.store.put(f"buttons:{sender}", json.dumps(buttons), DAY), None
        )

    async def buttons(self, sender: str) -> List[Dict[str, Any]]:
        raw = await self._degraded("buttons", self.store.get(f"buttons:{sender}"), None)
        return list(json.loads(raw)) if raw else []

    async def touch(self, sender: str, at: Optional[float] = None) -> None:
        value = str(at or time.time())
        await self._degraded("touch", self.store.put(f"inbound:{sender}", value, DAY + 3600), None)

    async def in_window(self, sender: str, now: Optional[float] = None) -> bool:
        """Inside WhatsApp's 24-hour customer service window (free text allowed)."""
        raw = await self.store.get(f"inbound:{sender}")
        return raw is not None and (now or time.time()) - float(raw) < DAY

    async def remember_contact(self, pseudonym: str, sealed: str) -> None:
        """The sealed number behind a pseudonym, for messages sent later."""
        self._contacts[pseudonym] = sealed
        self._contacts.move_to_end(pseudonym)
        while len(self._contacts) > 10_000:
            self._contacts.popitem(last=False)
        await self._degraded(
            "contact", self.store.put(f"contact:{pseudonym}", sealed, CONTACT_TTL), None
        )

    async def contact(self, pseudonym: str) -> Optional[str]:
        stored = await self._degraded("contact", self.store.get(f"contact:{pseudonym}"), None)
        return stored or self._contacts.get(pseudonym)

    async def first_contact(self, sender: str) -> bool:
        """True once per sender (a pseudonym), in whichever replica asks first.

        Claimed atomically (SET NX) before the privacy notice is sent, so two
        replicas handling the sender's first two messages do not both send it.
        When the store is unreachable: False. The notice waits for a later
        message rather than repeating with every one while Redis is down.
        """
        claim = self.store.set_once(f"noticed:{sender}", NOTICE_TTL)
        return await self._degraded("first contact", claim, False)

    async def not_noticed(self, sender: str) -> None:
        """The notice did not go out: the sender's next message tries again."""
        await self._degraded("first contact", self.store.delete(f"noticed:{sender}"), None)

    async def record_status(self, message_sid: str, status: str, error: Optional[str]) -> None:
        value = json.dumps({"status": status, "error_code": error, "at": time.time()})
        await self.store.put(f"status:{message_sid}", value, STATUS_TTL)

    async def status(self, message_sid: str) -> Optional[Dict[str, Any]]:
        raw = await self.store.get(f"status:{message_sid}")
        return dict(json.loads(raw)) if raw else None

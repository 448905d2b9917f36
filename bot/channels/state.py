"""What the WhatsApp channel remembers between webhooks.

Kept in Redis (`REDIS_URL`) so that every Rasa replica sees the same state:
which MessageSids were processed (Twilio retries), the numbered buttons each
sender was last shown, each sender's last inbound time (WhatsApp's 24-hour
window), the sealed number behind each pseudonym (bot/channels/contact.py)
and the delivery status of sent messages. Without REDIS_URL (`make
run` on one process) a process-local store stands in.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, List, Optional, Protocol

DAY = 24 * 3600
SEEN_TTL = 2 * DAY
STATUS_TTL = 30 * DAY
CONTACT_TTL = 30 * DAY


class Store(Protocol):
    async def set_once(self, key: str, ttl: int) -> bool: ...
    async def put(self, key: str, value: str, ttl: int) -> None: ...
    async def get(self, key: str) -> Optional[str]: ...


class MemoryStore:
    def __init__(self) -> None:
        self._data: Dict[str, tuple[str, float]] = {}

    def _live(self, key: str) -> Optional[str]:
        item = self._data.get(key)
        if item and item[1] > time.time():
            return item[0]
        self._data.pop(key, None)
        return None

    async def set_once(self, key: str, ttl: int) -> bool:
        if self._live(key) is not None:
            return False
        self._data[key] = ("1", time.time() + ttl)
        return True

    async def put(self, key: str, value: str, ttl: int) -> None:
        self._data[key] = (value, time.time() + ttl)

    async def get(self, key: str) -> Optional[str]:
        return self._live(key)


class RedisStore:
    def __init__(self, url: str, prefix: str = "lapor:whatsapp:") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True)
        self._prefix = prefix

    async def set_once(self, key: str, ttl: int) -> bool:
        return bool(await self._redis.set(self._prefix + key, "1", nx=True, ex=ttl))

    async def put(self, key: str, value: str, ttl: int) -> None:
        await self._redis.set(self._prefix + key, value, ex=ttl)

    async def get(self, key: str) -> Optional[str]:
        value = await self._redis.get(self._prefix + key)
        return str(value) if value is not None else None


def store_from_env() -> Store:
    url = os.environ.get("REDIS_URL")
    return RedisStore(url) if url else MemoryStore()


class ChannelState:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def first_time(self, message_sid: str) -> bool:
        """True once per MessageSid: Twilio's retries are processed once."""
        return await self.store.set_once(f"seen:{message_sid}", SEEN_TTL)

    async def remember_buttons(self, sender: str, buttons: List[Dict[str, Any]]) -> None:
        await self.store.put(f"buttons:{sender}", json.dumps(buttons), DAY)

    async def buttons(self, sender: str) -> List[Dict[str, Any]]:
        raw = await self.store.get(f"buttons:{sender}")
        return list(json.loads(raw)) if raw else []

    async def touch(self, sender: str, at: Optional[float] = None) -> None:
        await self.store.put(f"inbound:{sender}", str(at or time.time()), DAY + 3600)

    async def in_window(self, sender: str, now: Optional[float] = None) -> bool:
        """Inside WhatsApp's 24-hour customer service window (free text allowed)."""
        raw = await self.store.get(f"inbound:{sender}")
        return raw is not None and (now or time.time()) - float(raw) < DAY

    async def remember_contact(self, pseudonym: str, sealed: str) -> None:
        """The sealed number behind a pseudonym, for messages sent later."""
        await self.store.put(f"contact:{pseudonym}", sealed, CONTACT_TTL)

    async def contact(self, pseudonym: str) -> Optional[str]:
        return await self.store.get(f"contact:{pseudonym}")

    async def record_status(self, message_sid: str, status: str, error: Optional[str]) -> None:
        value = json.dumps({"status": status, "error_code": error, "at": time.time()})
        await self.store.put(f"status:{message_sid}", value, STATUS_TTL)

    async def status(self, message_sid: str) -> Optional[Dict[str, Any]]:
        raw = await self.store.get(f"status:{message_sid}")
        return dict(json.loads(raw)) if raw else None

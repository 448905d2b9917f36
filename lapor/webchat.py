"""Reach a web-chat citizen (lapor.outbound's web channel).

A message the city sends is stored first, in a Redis Stream per conversation
(the widget's session id, which Rasa uses as the sender id), and only then
pushed over socket.io to the room Rasa's socket.io channel puts that session
in. The push goes through Redis pub/sub (python-socketio's AsyncRedisManager),
so it reaches the citizen from any process, whichever Rasa replica holds
their socket (bot/channels/webchat.py). A citizen who is not connected
misses nothing: the widget fetches what it has not shown when it opens
(backend/widget.py), proving its session with a token only the backend issues.
The same token is what the Rasa channel asks of a socket before it joins a
session's room, so a client that merely learned a conversation id can
neither read nor write in it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

import redis.asyncio as redis
import socketio

from lapor.outbound import Delivery, Message, Recipient, Undeliverable

logger = logging.getLogger(__name__)

# Rasa's socket.io channel emits bot messages as this event (bot/credentials.yml).
BOT_EVENT = "bot_uttered"
STREAM_PREFIX = "lapor:webchat:"
KEEP_MESSAGES = 500  # per conversation, trimmed approximately (cheap for Redis)
KEEP_SECONDS = 30 * 24 * 3600  # a conversation nobody writes to for 30 days is dropped
READ_LIMIT = 100
# A session id is what new_session() makes (32 characters); older ids and
# tests' are longer but never past this.
MAX_SESSION_LENGTH = 128
MAX_TOKEN_LENGTH = 64  # a hex SHA-256
_STREAM_ID = re.compile(r"^\d{1,20}(-\d{1,20})?$")


def stream_key(session: str) -> str:
    return STREAM_PREFIX + session


def is_stream_id(value: str) -> bool:
    """'0' or a Redis stream id ('1700000000000-0'): what `after` may be."""
    return bool(_STREAM_ID.match(value))


def payload(message: Message) -> Dict[str, Any]:
    """The message in the shape Rasa's socket.io channel gives the widget a bot
    message (text, quick_replies, image attachment, the call custom payload)."""
    data: Dict[str, Any] = {"text": message.text}
    if message.buttons:
        data["quick_replies"] = [
            {"content_type": "text", "title": b.title, "payload": b.payload}
            for b in message.buttons
        ]
    if message.image_url:
        data["attachment"] = {"type": "image", "payload": {"src": message.image_url}}
    if message.call_href:
        data.update(type="call", label=message.call_label or "", href=message.call_href)
    if message.author:
        data["author"] = message.author  # the widget shows a person is talking
    return data


class MessageStore:
    """The per-conversation streams: written by the web channel, read by the widget's fetch."""

    def __init__(
        self,
        client: Any,
        keep_messages: int = KEEP_MESSAGES,
        keep_seconds: int = KEEP_SECONDS,
    ) -> None:
        self._redis = client
        self._keep_messages = keep_messages
        self._keep_seconds = keep_seconds

    @classmethod
    def from_url(cls, redis_url: str) -> "MessageStore":
        return cls(redis.from_url(redis_url, decode_responses=True, socket_timeout=5))

    async def add(self, session: str, data: Dict[str, Any]) -> Dict[str, Any]:
        """Stores a message; returns it with its stream id and timestamp."""
        stored = {**data, "timestamp": time.time()}
        key = stream_key(session)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                key,
                {"message": json.dumps(stored, ensure_ascii=False)},
                maxlen=self._keep_messages,
                approximate=True,
            )
            pipe.expire(key, self._keep_seconds)
            stream_id, _ = await pipe.execute()
        return {**stored, "stream_id": str(stream_id)}

    async def after(
        self, session: str, after: str = "0", limit: int = READ_LIMIT
    ) -> List[Dict[str, Any]]:
        """The stored messages newer than stream id `after`, oldest first."""
        if not is_stream_id(after):
            raise ValueError(f"not a stream id: {after!r}")
        found = await self._redis.xread({stream_key(session): after}, count=limit)
        entries = found[0][1] if found else []
        return [{**json.loads(fields["message"]), "stream_id": id_} for id_, fields in entries]

    async def close(self) -> None:
        await self._redis.close()


class WebChatChannel:
    """Delivers to `Recipient.conversation("web", <session id>)`."""

    def __init__(self, redis_url: str, store: Optional[MessageStore] = None) -> None:
        self.store = store or MessageStore.from_url(redis_url)
        # Write-only: this process only publishes; the Rasa replica holding the
        # citizen's socket (a full AsyncRedisManager) emits it to the room.
        self._push = socketio.AsyncRedisManager(redis_url, write_only=True)

    async def deliver(self, recipient: Recipient, message: Message) -> Delivery:
        session = (recipient.conversation_id or "").strip()
        if not session:
            raise Undeliverable("no web chat session for this citizen")
        stored = await self.store.add(session, payload(message))
        try:
            await self._push.emit(BOT_EVENT, stored, room=session)
        except Exception as exc:  # stored already: the widget fetches it when it opens
            logger.warning("web chat message stored but not pushed live: %s", exc)
        return Delivery(conversation_id=session, reference=stored["stream_id"], kind="stored")

    async def messages_after(self, session: str, after: str = "0") -> List[Dict[str, Any]]:
        return await self.store.after(session, after)

    async def close(self) -> None:
        await self.store.close()
        await self._push.redis.close()


# ---- sessions the widget can prove -------------------------------------------


def new_session() -> str:
    """A fresh conversation id for a widget (unguessable: 122 random bits)."""
    return uuid.uuid4().hex


def issue_session(key: bytes) -> Tuple[str, str]:
    """A fresh conversation id and the token that proves it (nothing is stored:
    the token is all the proof, for the backend and the bot alike)."""
    session = new_session()
    return session, session_token(key, session)


def session_key(contact_key: bytes) -> bytes:
    """The widget token key, derived from CONTACT_KEY (one secret less to manage;
    a token reveals nothing of the key that seals phone numbers)."""
    return hmac.new(contact_key, b"webchat-session", hashlib.sha256).digest()


def session_token(key: bytes, session: str) -> str:
    return hmac.new(key, session.encode("utf-8"), hashlib.sha256).hexdigest()


def valid_token(key: bytes, session: object, token: object) -> bool:
    """Whether `token` proves `session`. Both are the client's input, as it sent
    them (a header, a socket.io event's JSON): anything but two non-empty
    strings of sane length is no proof, never an error."""
    if not isinstance(session, str) or not isinstance(token, str):
        return False
    if not session or len(session) > MAX_SESSION_LENGTH or len(token) > MAX_TOKEN_LENGTH:
        return False
    if not (session.isascii() and token.isascii()):  # ids and tokens are hex; bad header bytes
        return False
    # As bytes: compare_digest refuses non-ASCII text.
    return hmac.compare_digest(session_token(key, session).encode(), token.encode("utf-8"))

"""Rasa's socket.io channel (the web chat widget), shared across replicas.

Rasa's SocketIOInput keeps its rooms in process memory, so only the process
holding a citizen's socket can reach it. With REDIS_URL set, this subclass
gives the socket.io server python-socketio's AsyncRedisManager: every emit
goes through Redis pub/sub, so bot replies, messages the city sends
(lapor/webchat.py, from the backend) and Rasa's own external events reach
the citizen whichever replica holds the socket.

It also refuses what Rasa's channel trusts blindly (issue 10):
- a `session_request` must carry the session's token, which only the backend
  issues (`POST /api/v1/widget/sessions`, lapor/webchat.py): a client cannot
  take over another's conversation by naming its id;
- a message speaks for the session proven on its socket, never for the
  `session_id` the client puts in it;
- metadata keeps only a valid location pin and photos stored by the backend,
  from which the channel itself builds "/share_location{..}" and "/share_photo";
  any other text starting with "/" is a command only if the bot offered it
  (bot/channels/commands.py).
The name "socketio", the path and the user/bot events stay Rasa's.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text, cast

import socketio
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic

from bot.channels import commands, inbound
from bot.channels.identity import sealing
from bot.settings import get_settings
from lapor import mediaurls, webchat
from lapor.contact import ContactCipher

logger = logging.getLogger(__name__)

# Longer than any report the backend takes (its description limit is 4000).
MAX_TEXT = 4000


def redis_url() -> Optional[str]:
    """REDIS_URL from the process's settings (bot/settings.py), loaded once."""
    return get_settings().redis_url


class WebChatInput(SocketIOInput):
    """Named `socketio` like Rasa's (lapor.channels maps it to the web)."""

    redis_url: Optional[str] = None

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # Rasa's method reads the same options and builds a `cls`.
        channel = cast(WebChatInput, super().from_credentials(credentials))
        channel.redis_url = redis_url()
        return channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = cast(socketio.AsyncServer, self.sio)
        if self.redis_url:
            share_rooms(sio, blueprint, self.redis_url)
        # Rasa's handlers trust the client's session id: replace them.
        sio.on("session_request", self._session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, self._message_handler(on_new_message), self.namespace)
        commands.remember_agent(blueprint)
        return blueprint

    async def _session_request(self, sid: Text, data: Optional[Dict]) -> None:
        sio = cast(socketio.AsyncServer, self.sio)
        data = data if isinstance(data, dict) else {}
        session, token = data.get("session_id"), data.get("token")
        if not webchat.valid_token(token_key(), session, token):
            logger.info("web chat session refused: its token does not prove it")
            await sio.emit("session_refused", {"reason": "invalid_token"}, room=sid)
            return
        await sio.save_session(sid, {"session_id": session}, namespace=self.namespace)
        sio.enter_room(sid, session, namespace=self.namespace)
        await sio.emit("session_confirm", session, room=sid)

    def _message_handler(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Callable[[Text, Any], Awaitable[None]]:
        sio = cast(socketio.AsyncServer, self.sio)
        cipher = ContactCipher.from_settings(get_settings())
        guarded = commands.guarded(sealing(on_new_message, cipher), rebuild=channel_command)

        async def handle(sid: Text, data: Any) -> None:
            session = (await sio.get_session(sid, namespace=self.namespace)).get("session_id")
            if not session or not isinstance(data, dict):
                # No proven session on this socket: nothing is read as a citizen's.
                await sio.emit("session_refused", {"reason": "no_session"}, room=sid)
                return
            message = UserMessage(
                str(data.get("message") or "")[:MAX_TEXT],
                SocketIOOutput(sio, self.bot_message_evt),
                session,
                input_channel=self.name(),
                metadata=trusted_metadata(data.get(self.metadata_key)),
            )
            await guarded(message)

        return handle


def share_rooms(sio: socketio.AsyncServer, blueprint: Blueprint, url: str) -> None:
    """Gives Rasa's freshly built server a Redis client manager.

    Rasa builds its AsyncServer inside blueprint() with no way to pass a client
    manager; swapping it here, before any client connected, is what the
    server's constructor would have done (`manager.set_server(server)`).
    """
    manager = socketio.AsyncRedisManager(url)
    sio.manager = manager
    manager.set_server(sio)

    @blueprint.listener("before_server_start")
    async def _subscribe(_app: Sanic, _loop: Any) -> None:
        # python-socketio subscribes to Redis at the first connection, and an
        # emit published before the subscription is lost: the first citizen
        # would miss "session_confirm". Subscribing at start closes that gap.
        if not sio.manager_initialized:
            sio.manager_initialized = True
            manager.initialize()

    logger.info("socket.io rooms are shared through Redis (REDIS_URL)")


def token_key() -> bytes:
    return webchat.session_key(get_settings().contact_key.encode())


def trusted_metadata(raw: Any) -> Dict[str, Any]:
    """Of the widget's metadata, a valid pin and the backend's own photos only."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, dict):
        return {}
    kept: Dict[str, Any] = {}
    pin = raw.get("location")
    point = (
        inbound.point(pin.get("latitude"), pin.get("longitude")) if isinstance(pin, dict) else None
    )
    if point:
        kept["location"] = point
    settings = get_settings()
    photos = mediaurls.stored_media(
        raw.get("media_urls"), [settings.backend_url, settings.backend_public_url]
    )
    if photos:
        kept["media_urls"] = photos
    return kept


def channel_command(message: UserMessage) -> Optional[str]:
    """The command this channel builds from the verified metadata, if any."""
    metadata = message.metadata or {}
    if "location" in metadata:
        return inbound.location_payload(metadata["location"])
    if "media_urls" in metadata:
        return inbound.PHOTO_PAYLOAD
    return None

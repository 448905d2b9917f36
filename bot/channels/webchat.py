"""Rasa's socket.io channel (the web chat widget), shared across replicas.

Rasa's SocketIOInput keeps its rooms in process memory, so only the process
holding a citizen's socket can reach it. With REDIS_URL set, this subclass
gives the socket.io server python-socketio's AsyncRedisManager: every emit
goes through Redis pub/sub, so bot replies, messages the city sends
(lapor/webchat.py, from the backend) and Rasa's own external events reach
the citizen whichever replica holds the socket. Everything else is Rasa's
channel unchanged: the name "socketio", the path, session persistence, the
user/bot events and metadata. Without REDIS_URL it is exactly Rasa's channel.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text, cast

import socketio
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, Sanic

from bot.settings import get_settings

logger = logging.getLogger(__name__)


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
        if self.redis_url and self.sio is not None:
            share_rooms(self.sio, blueprint, self.redis_url)
        return blueprint


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

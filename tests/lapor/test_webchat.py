"""The web chat channel on the real Redis: messages are stored, read back after
a stream id, and pushed live through Redis to a socket.io client that joined
its session's room on the Rasa channel (bot/channels/webchat.py), served by a
real Sanic server on a free port."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, AsyncIterator, Dict, List, Optional

import pytest
import redis.asyncio as redis
import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.webchat import WebChatInput
from bot.settings import get_settings
from lapor.channels import from_rasa
from lapor.outbound import Button, Message, Outbound, Recipient, Undeliverable
from lapor.webchat import (
    BOT_EVENT,
    KEEP_SECONDS,
    WebChatChannel,
    issue_session,
    new_session,
    session_key,
    session_token,
    stream_key,
    valid_token,
)
from tests.servers import free_port

REDIS = "redis://127.0.0.1:6379/0"
NOTICE = Message(text="📢 Pembaruan laporan KDR-2026-000001\nStatus: Diproses")


@pytest.fixture
async def channel() -> AsyncIterator[WebChatChannel]:
    web = WebChatChannel(REDIS)
    yield web
    await web.close()


@pytest.fixture
async def session() -> AsyncIterator[str]:
    name = f"test-{new_session()}"
    yield name
    client = redis.from_url(REDIS)
    await client.delete(stream_key(name))
    await client.close()


async def test_a_message_is_stored_and_read_back_after_a_stream_id(
    channel: WebChatChannel, session: str
) -> None:
    first = await channel.deliver(Recipient.conversation("web", session), NOTICE)
    assert (first.conversation_id, first.kind) == (session, "stored")

    second = await channel.deliver(
        Recipient.conversation("web", session), Message(text="Terima kasih, Bapak/Ibu.")
    )
    everything = await channel.messages_after(session, "0")
    assert [m["text"] for m in everything] == [NOTICE.text, "Terima kasih, Bapak/Ibu."]
    assert [m["stream_id"] for m in everything] == [first.reference, second.reference]
    assert all(isinstance(m["timestamp"], float) for m in everything)

    newer = await channel.messages_after(session, first.reference)
    assert [m["stream_id"] for m in newer] == [second.reference]
    assert await channel.messages_after(session, second.reference) == []


async def test_messages_have_the_shape_the_widget_renders_for_bot_messages(
    channel: WebChatChannel, session: str
) -> None:
    message = Message(
        text="Apakah masalahnya sudah selesai?",
        buttons=(Button("Sudah", "/affirm"), Button("Belum", "/deny")),
        image_url="https://lapor.example/media/foto.jpg",
        call_label="Telepon 112",
        call_href="tel:112",
    )
    await channel.deliver(Recipient.conversation("web", session), message)
    [stored] = await channel.messages_after(session)
    assert stored["quick_replies"] == [
        {"content_type": "text", "title": "Sudah", "payload": "/affirm"},
        {"content_type": "text", "title": "Belum", "payload": "/deny"},
    ]
    assert stored["attachment"] == {
        "type": "image",
        "payload": {"src": "https://lapor.example/media/foto.jpg"},
    }
    assert (stored["type"], stored["label"], stored["href"]) == ("call", "Telepon 112", "tel:112")


async def test_a_conversation_is_kept_for_thirty_days_after_its_last_message(
    channel: WebChatChannel, session: str
) -> None:
    await channel.deliver(Recipient.conversation("web", session), NOTICE)
    client = redis.from_url(REDIS)
    ttl = await client.ttl(stream_key(session))
    await client.close()
    assert KEEP_SECONDS - 60 < ttl <= KEEP_SECONDS


async def test_a_recipient_without_a_session_is_undeliverable(channel: WebChatChannel) -> None:
    with pytest.raises(Undeliverable):
        await channel.deliver(Recipient.conversation("web", ""), NOTICE)
    with pytest.raises(Undeliverable):
        await Outbound({"web": channel}).send(Recipient.conversation("web", "  "), NOTICE)


async def test_a_bad_after_is_refused(channel: WebChatChannel, session: str) -> None:
    with pytest.raises(ValueError):
        await channel.messages_after(session, "$")


def test_a_token_proves_its_own_session_only() -> None:
    key = session_key(b"the contact key")
    session = new_session()
    token = session_token(key, session)
    assert valid_token(key, session, token)
    assert not valid_token(key, new_session(), token)
    assert not valid_token(session_key(b"another contact key"), session, token)
    assert not valid_token(key, session, "")
    assert not valid_token(key, session, "é" * 64)


@pytest.mark.parametrize(
    ("session", "token"),
    [
        (None, None),
        ("", ""),
        (123, "x"),
        (["a"], {"b": 1}),
        ("s" * 129, "x"),
        ("abc", "0" * 10_000),
    ],
)
def test_what_a_client_sends_is_no_proof_unless_it_is_a_token_never_an_error(
    session: object, token: object
) -> None:
    # The bot's channel passes socket.io JSON as it came: any type, any length.
    assert valid_token(session_key(b"the contact key"), session, token) is False


def test_an_issued_session_is_fresh_and_proven_by_its_token() -> None:
    key = session_key(b"the contact key")
    first, second = issue_session(key), issue_session(key)
    assert first[0] != second[0] and len(first[0]) == 32
    assert valid_token(key, *first) and valid_token(key, *second)
    assert not valid_token(key, first[0], second[1])


# ---- live push through the Rasa channel ---------------------------------------


class RasaSocket:
    """The bot's socket.io channel on a real server; the 'bot' answers "dicatat"."""

    def __init__(self, redis_url: str) -> None:
        self.channel = WebChatInput(session_persistence=True)
        self.channel.redis_url = redis_url
        self.received: List[UserMessage] = []
        self.app = Sanic(f"webchat-{uuid.uuid4().hex[:8]}")
        self.app.blueprint(self.channel.blueprint(self._on_message), url_prefix="/webhooks")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    async def _on_message(self, message: UserMessage) -> None:
        self.received.append(message)
        assert message.output_channel is not None
        await message.output_channel.send_text_message(message.sender_id, "dicatat")

    async def __aenter__(self) -> "RasaSocket":
        self.server = await self.app.create_server(
            host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
        )
        assert self.server is not None
        await self.server.startup()
        await self.server.before_start()
        await self.server.after_start()
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self.server.before_stop()
        self.server.close()
        await self.server.wait_closed()
        await self.server.after_stop()


async def citizen(url: str, session: str) -> tuple[socketio.AsyncClient, "asyncio.Queue[Any]"]:
    """A widget: connects, asks for its session's room and collects bot messages."""
    client = socketio.AsyncClient(reconnection=False)
    heard: asyncio.Queue[Any] = asyncio.Queue()
    confirmed = asyncio.Event()
    client.on(BOT_EVENT, heard.put_nowait)
    client.on("session_confirm", lambda _: confirmed.set())
    # Long polling: this engineio client's websocket needs a newer aiohttp than Rasa allows
    # (the browser test covers websockets).
    await client.connect(url, transports=["polling"])
    # With the token the backend would have issued for it (the channel refuses a bare id).
    token = session_token(session_key(get_settings().contact_key.encode()), session)
    await client.emit("session_request", {"session_id": session, "token": token})
    await asyncio.wait_for(confirmed.wait(), 10)
    return client, heard


async def test_a_connected_citizen_hears_the_city_live_through_redis(
    channel: WebChatChannel, session: str
) -> None:
    async with RasaSocket(REDIS) as rasa:
        client, heard = await citizen(rasa.url, session)
        try:
            delivery = await channel.deliver(Recipient.conversation("web", session), NOTICE)
            pushed: Dict[str, Any] = await asyncio.wait_for(heard.get(), 10)
        finally:
            await client.disconnect()
    assert pushed["text"] == NOTICE.text
    assert pushed["stream_id"] == delivery.reference
    # What was pushed is what the widget would fetch.
    assert [pushed] == await channel.messages_after(session)


async def test_another_session_does_not_hear_it(channel: WebChatChannel, session: str) -> None:
    async with RasaSocket(REDIS) as rasa:
        client, heard = await citizen(rasa.url, new_session())
        try:
            await channel.deliver(Recipient.conversation("web", session), NOTICE)
            await asyncio.sleep(0.5)
        finally:
            await client.disconnect()
    assert heard.empty()


async def test_the_channel_still_runs_rasa_turns_in_the_proven_session(
    session: str,
) -> None:
    async with RasaSocket(REDIS) as rasa:
        client, heard = await citizen(rasa.url, session)
        try:
            await client.emit(
                "user_uttered",
                {"message": "lampu mati", "session_id": session, "metadata": {"a": 1}},
            )
            reply = await asyncio.wait_for(heard.get(), 10)
        finally:
            await client.disconnect()
    assert reply == {"text": "dicatat"}
    [message] = rasa.received
    assert (message.text, message.sender_id) == ("lampu mati", session)
    # Metadata the channel does not know is not passed on (bot/channels/webchat.py).
    assert "a" not in (message.metadata or {})
    assert message.input_channel == "socketio"


async def test_a_reply_from_another_replica_reaches_the_citizen(session: str) -> None:
    # Rasa's own sends (e.g. external events) from the replica without the socket.
    async with RasaSocket(REDIS) as holding, RasaSocket(REDIS) as other:
        client, heard = await citizen(holding.url, session)
        try:
            output = other.channel.get_output_channel()
            assert output is not None
            await output.send_text_message(session, "Laporan Bapak/Ibu sedang diproses.")
            reply = await asyncio.wait_for(heard.get(), 10)
        finally:
            await client.disconnect()
    assert reply == {"text": "Laporan Bapak/Ibu sedang diproses."}


def test_the_rasa_channel_shares_rooms_when_redis_url_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def bot(_: UserMessage) -> None: ...

    def channel_with(redis_url: Optional[str]) -> Any:
        if redis_url:
            monkeypatch.setenv("REDIS_URL", redis_url)
        else:
            monkeypatch.delenv("REDIS_URL", raising=False)
        get_settings.cache_clear()  # the bot's settings are read once per process
        channel = WebChatInput.from_credentials({"session_persistence": True})
        channel.blueprint(bot)
        return channel

    try:
        shared, alone = channel_with(REDIS), channel_with(None)
    finally:
        get_settings.cache_clear()

    assert isinstance(shared, WebChatInput) and isinstance(alone, WebChatInput)
    assert isinstance(shared.sio.manager, socketio.AsyncRedisManager)
    assert not isinstance(alone.sio.manager, socketio.AsyncRedisManager)
    # Still Rasa's socket.io channel for everything that names it.
    assert shared.name() == "socketio" and from_rasa(shared.name()) == "web"
    assert (shared.socketio_path, shared.session_persistence) == ("/socket.io", True)

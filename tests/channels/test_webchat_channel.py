"""The web chat channel: a session only with its token, messages only as it.

A real socket.io client talks to the channel served by Sanic, as the widget does.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, AsyncIterator, Dict, List

import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.webchat import WebChatInput
from bot.settings import get_settings
from lapor import webchat
from tests.servers import free_port

PHOTO = "http://localhost:8000/media/" + "cd" * 16


class Served:
    def __init__(self, url: str, received: List[UserMessage]) -> None:
        self.url = url
        self.received = received

    async def client(self) -> "Client":
        client = Client()
        await client.sio.connect(self.url, socketio_path="/socket.io", transports=["polling"])
        return client


class Client:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient()
        self.events: Dict[str, List[Any]] = {"session_confirm": [], "session_refused": []}
        for name in self.events:
            self.sio.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: Any = None) -> None:
            self.events[name].append(data)

        return record

    async def wait_for(self, name: str) -> Any:
        for _ in range(200):
            if self.events[name]:
                return self.events[name][-1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {name}")


@pytest.fixture
async def served(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    received: List[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    channel = WebChatInput.from_credentials({"session_persistence": True})
    app = Sanic(f"webchat-{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(on_new_message))
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    yield Served(f"http://127.0.0.1:{port}", received)
    await server.before_stop()
    await server.close()
    await server.after_stop()
    get_settings.cache_clear()


def _issued() -> tuple[str, str]:
    return webchat.issue_session(webchat.session_key(get_settings().contact_key.encode()))


async def _settle(received: List[UserMessage], count: int) -> None:
    for _ in range(100):
        if len(received) >= count:
            return
        await asyncio.sleep(0.02)


async def test_a_session_without_its_token_is_refused(served: Served) -> None:
    victim, _token = _issued()
    client = await served.client()
    try:
        await client.sio.emit("session_request", {"session_id": victim, "token": "guess"})
        assert await client.wait_for("session_refused") == {"reason": "invalid_token"}
        # Speaking as the victim on this socket is not heard.
        await client.sio.emit("user_uttered", {"message": "halo", "session_id": victim})
        await client.wait_for("session_refused")
        await _settle(served.received, 1)
        assert served.received == []
        assert client.events["session_confirm"] == []
    finally:
        await client.sio.disconnect()


async def test_messages_speak_for_the_proven_session_only(served: Served) -> None:
    mine, token = _issued()
    other, _ = _issued()
    client = await served.client()
    try:
        await client.sio.emit("session_request", {"session_id": mine, "token": token})
        assert await client.wait_for("session_confirm") == mine
        await client.sio.emit("user_uttered", {"message": "lampu mati", "session_id": other})
        await _settle(served.received, 1)
        (message,) = served.received
        assert message.sender_id == mine
        assert message.input_channel == "socketio"
    finally:
        await client.sio.disconnect()


async def test_photos_and_pins_come_only_from_verified_metadata(served: Served) -> None:
    mine, token = _issued()
    client = await served.client()
    try:
        await client.sio.emit("session_request", {"session_id": mine, "token": token})
        await client.wait_for("session_confirm")
        say = {"session_id": mine}
        await client.sio.emit(
            "user_uttered",
            {**say, "message": "/share_photo", "metadata": {"media_urls": [PHOTO]}},
        )
        await client.sio.emit(
            "user_uttered",
            {
                **say,
                "message": '/share_photo{"photo_url":"http://attacker.example/x"}',
                "metadata": {"media_urls": ["http://attacker.example/x"], "contact": "x"},
            },
        )
        await client.sio.emit(
            "user_uttered",
            {
                **say,
                "message": "x",
                "metadata": {"location": {"latitude": -7.8, "longitude": 112.0}},
            },
        )
        await _settle(served.received, 3)
        photo, forged, pin = served.received
        assert (photo.text, photo.metadata) == ("/share_photo", {"media_urls": [PHOTO]})
        assert forged.text == 'share_photo{"photo_url":"http://attacker.example/x"}'
        assert forged.metadata == {}
        assert pin.text == '/share_location{"latitude": -7.8, "longitude": 112.0}'
    finally:
        await client.sio.disconnect()


async def test_an_nik_typed_in_the_widget_reaches_rasa_sealed(served: Served) -> None:
    mine, token = _issued()
    client = await served.client()
    try:
        await client.sio.emit("session_request", {"session_id": mine, "token": token})
        assert await client.wait_for("session_confirm") == mine
        await client.sio.emit(
            "user_uttered", {"message": "NIK 3571015708900001", "session_id": mine}
        )
        await _settle(served.received, 1)
        (message,) = served.received
        assert message.text == "NIK [nomor …0001]"
        assert message.metadata["identity_numbers"][0]["last4"] == "0001"
    finally:
        await client.sio.disconnect()

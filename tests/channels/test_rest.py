"""The REST channel answers only server-side clients with REST_CHANNEL_TOKEN."""

from __future__ import annotations

import uuid
from typing import Any, Iterator, List

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.rest import TokenRestInput
from bot.settings import get_settings

TOKEN = "rest-token-for-this-test"


@pytest.fixture
def rest_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sanic, List[UserMessage]]]:
    monkeypatch.setenv("REST_CHANNEL_TOKEN", TOKEN)
    get_settings.cache_clear()
    received: List[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    app = Sanic(f"rest-{uuid.uuid4().hex[:8]}")
    app.blueprint(TokenRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    yield app, received
    get_settings.cache_clear()


async def test_a_message_without_the_token_is_refused(rest_app: Any) -> None:
    app, received = rest_app
    body = {"sender": "warga", "message": "lampu mati"}
    _, response = await app.asgi_client.post("/webhooks/rest/webhook", json=body)
    assert response.status == 401
    _, response = await app.asgi_client.post(
        "/webhooks/rest/webhook", json=body, headers={"Authorization": "Bearer nope"}
    )
    assert response.status == 401
    assert received == []


async def test_the_client_cannot_choose_the_input_channel(rest_app: Any) -> None:
    app, received = rest_app
    body = {"sender": "warga", "message": "lampu mati", "input_channel": "whatsapp"}
    _, response = await app.asgi_client.post(
        "/webhooks/rest/webhook", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status == 200
    (message,) = received
    assert message.input_channel == "rest"
    assert message.text == "lampu mati"


async def test_a_typed_command_the_bot_never_offered_is_plain_text(rest_app: Any) -> None:
    app, received = rest_app
    body = {"sender": "warga", "message": '/share_photo{"photo_url":"http://x.example/a"}'}
    await app.asgi_client.post(
        "/webhooks/rest/webhook", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert received[0].text == 'share_photo{"photo_url":"http://x.example/a"}'


async def test_an_nik_never_reaches_rasa_it_travels_sealed(rest_app: Any) -> None:
    from lapor.contact import ContactCipher
    from lapor.identity import METADATA_KEY, open_number

    app, received = rest_app
    body = {"sender": "warga", "message": "nik saya 3571015708900001 belum terdaftar"}
    await app.asgi_client.post(
        "/webhooks/rest/webhook", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    (message,) = received
    assert message.text == "nik saya [nomor …0001] belum terdaftar"
    (sealed,) = message.metadata[METADATA_KEY]
    cipher = ContactCipher.from_settings(get_settings())
    assert open_number(sealed["token"], cipher) == "3571015708900001"

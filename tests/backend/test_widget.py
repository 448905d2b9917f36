from __future__ import annotations

from sanic import Sanic


async def test_pages_carry_the_rasa_url(app: Sanic) -> None:
    _, demo = await app.asgi_client.get("/")
    assert 'data-server="http://localhost:5005"' in demo.text
    _, chat = await app.asgi_client.get("/chat")
    assert 'const RASA_URL = "http://localhost:5005";' in chat.text
    _, script = await app.asgi_client.get("/widget.js")
    assert script.status == 200 and "LaporWidget" in script.text

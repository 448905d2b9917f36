"""Staff and 112 operators can play a citizen's voice note in the console:
in the conversation, on the ticket filed while it was sent, and in an open
incident's timeline, always from this site's own /media/<id> path."""

from __future__ import annotations

import time
import uuid

from sanic import Sanic

from backend.pipeline import events
from backend.pipeline.store import store
from lapor.db import create_engine
from tests.backend.console.helpers import signed_in
from tests.backend.console.test_conversations import add_conversation
from tests.backend.console.test_incidents import file_incident, operator
from tests.backend.emergency.test_citizen import said
from tests.backend.helpers import post_request, valid_form

MEDIA_ID = "ab" * 16
VOICE = f"http://localhost:8000/media/{MEDIA_ID}"
PLAYER = f'<audio controls preload="none" src="/media/{MEDIA_ID}"'


async def pipe(database_url: str, sender: str, at: float) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            row = events.to_row(said(sender, "/share_voice", at, voice_urls=[VOICE]))
            await store(conn, [row])
    finally:
        await engine.dispose()


async def test_the_conversation_plays_the_voice_note(app: Sanic, database_url: str) -> None:
    voice = {"kind": "user", "text": "/share_voice", "data": {"voice_urls": [VOICE]}}
    conversation_id = await add_conversation(database_url, f"wa-{uuid.uuid4().hex}", [voice])
    browser = await signed_in(database_url, "adi", ["admin"])
    _, response = await app.asgi_client.get(
        f"/console/conversations/{conversation_id}", headers=browser.headers
    )
    assert response.status == 200
    assert "Pesan suara" in response.text and PLAYER in response.text


async def test_the_ticket_plays_the_voice_note_sent_while_it_was_filed(
    app: Sanic, database_url: str
) -> None:
    sender = f"wa-{uuid.uuid4().hex}"
    await pipe(database_url, sender, time.time() - 5)
    status, body = await post_request(app, valid_form(account_id=sender))
    assert status == 201
    staff = await signed_in(database_url, "adi", ["admin"])
    _, response = await app.asgi_client.get(
        f"/console/tickets/{body[0]['service_request_id']}", headers=staff.headers
    )
    assert response.status == 200
    assert "Pesan suara dari pelapor" in response.text and PLAYER in response.text


async def test_the_incident_timeline_plays_a_later_voice_note(
    app: Sanic, database_url: str
) -> None:
    sender = f"wa-{uuid.uuid4().hex}"
    incident_id = await file_incident(database_url, sender=sender)
    await pipe(database_url, sender, time.time() + 1)
    wulan = await operator(database_url)
    _, response = await app.asgi_client.get(
        f"/console/incidents/{incident_id}?part=timeline", headers=wulan.headers
    )
    assert response.status == 200
    assert "Pesan suara dari pelapor" in response.text and PLAYER in response.text
    assert "/share_voice" not in response.text

"""A citizen's voice note passes the conversation pipeline with its link:
kept in the conversation's event, and recorded on an open incident as a
"voice_note" that the operator can play."""

from __future__ import annotations

import time
import uuid
from typing import AsyncIterator

import pytest
from sanic import Sanic
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import voice_notes
from backend.emergency import incidents
from backend.pipeline import events
from backend.render import voice_paths
from backend.tables import incident_events, tickets
from lapor.db import create_engine
from tests.backend.emergency.helpers import report
from tests.backend.emergency.test_citizen import kinds, pipe, said
from tests.backend.helpers import post_request, valid_form

VOICE = "http://127.0.0.1:8000/media/" + "ab" * 16


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def test_the_voice_note_link_is_kept_and_the_rest_of_metadata_is_not() -> None:
    row = events.to_row(
        said("warga", "/share_voice", 1.0, voice_urls=[VOICE, "javascript:x"], contact="sealed")
    )
    assert row.data == {"voice_urls": [VOICE]}
    assert voice_paths(row.data) == ["/media/" + "ab" * 16]


async def test_a_voice_note_after_the_emergency_is_recorded_as_a_voice_note(
    engine: AsyncEngine,
) -> None:
    sender = uuid.uuid4().hex
    filed = await incidents.file(engine, report(conversation_id=sender))
    await pipe(engine, [said(sender, "/share_voice", time.time(), voice_urls=[VOICE])])
    assert (await kinds(engine, filed.id))[-1] == "voice_note"
    statement = select(incident_events.c.data).where(
        incident_events.c.incident_id == filed.id, incident_events.c.kind == "voice_note"
    )
    async with engine.connect() as conn:
        (data,) = (await conn.execute(statement)).scalars().all()
    assert data == {"voice_urls": [VOICE]}


async def test_a_ticket_shows_the_voice_notes_sent_while_it_was_filed(
    app: Sanic, engine: AsyncEngine
) -> None:
    sender = uuid.uuid4().hex
    before = "http://127.0.0.1:8000/media/" + "cd" * 16
    await pipe(engine, [said(sender, "/share_voice", time.time() - 3 * 86400, voice_urls=[before])])
    await pipe(engine, [said(sender, "/share_voice", time.time() - 5, voice_urls=[VOICE])])
    await pipe(engine, [said("someone-else", "/share_voice", time.time() - 4, voice_urls=[VOICE])])
    status, body = await post_request(app, valid_form(account_id=sender))
    assert status == 201
    async with engine.connect() as conn:
        ticket_id = (
            await conn.execute(
                select(tickets.c.id).where(
                    tickets.c.service_request_id == body[0]["service_request_id"]
                )
            )
        ).scalar_one()
    # The one sent while filing: not the one days before, nor another citizen's.
    assert await voice_notes.of_ticket(engine, ticket_id) == ["/media/" + "ab" * 16]
    # Sent after the ticket was filed: not this ticket's.
    await pipe(engine, [said(sender, "/share_voice", time.time() + 5, voice_urls=[before])])
    assert await voice_notes.of_ticket(engine, ticket_id) == ["/media/" + "ab" * 16]

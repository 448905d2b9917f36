from __future__ import annotations

import json
import time
from typing import Any, Dict, List

from sanic import Sanic
from sqlalchemy import select, update

from backend import keys, notify
from backend.config import Settings
from backend.tables import notifications
from lapor.contact import cipher_from_env
from lapor.timeutil import utcnow
from lapor.whatsapp.sender import WhatsAppSender
from lapor.whatsapp.state import ChannelState, MemoryStore
from lapor.whatsapp.twilio import TwilioClient
from tests.backend.helpers import post_request, valid_form
from tests.fake_twilio import FakeTwilio
from tests.servers import run_module

PHONE = "+6281299990000"


def sender_for(fake: FakeTwilio) -> WhatsAppSender:
    config = fake.config(retries=0, templates={"ticket_status": "HX1234"})
    return WhatsAppSender(TwilioClient(config), ChannelState(MemoryStore()), cipher_from_env())


async def _ticket_moved(app: Sanic, channel: str = "whatsapp") -> str:
    _, body = await post_request(app, valid_form(channel=channel, phone=PHONE))
    ticket = str(body[0]["service_request_id"])
    key = await keys.issue_key(app.ctx.backend.engine, "dishub")
    _, response = await app.asgi_client.post(
        f"/api/v1/requests/{ticket}/status",
        json={"status": "diproses", "note": "Tim menuju lokasi"},
        headers={"X-API-Key": key},
    )
    assert response.status == 200
    return ticket


async def _rows(app: Sanic) -> List[Dict[str, Any]]:
    async with app.ctx.backend.engine.connect() as conn:
        return [dict(r._mapping) for r in (await conn.execute(select(notifications))).all()]


async def test_inside_the_window_the_notice_is_free_text(app: Sanic, fake: FakeTwilio) -> None:
    ticket = await _ticket_moved(app)
    sender = sender_for(fake)
    # The channel records the citizen's last message under the pseudonym.
    await sender.state.touch(sender.cipher.pseudonym(PHONE), at=time.time() - 3600)
    assert await notify.flush(app.ctx.backend.engine, sender) == 1
    (sent,) = fake.messages()
    assert sent["To"] == f"whatsapp:{PHONE}"
    assert ticket in sent["Body"] and "Sedang ditangani" in sent["Body"]
    assert "Tim menuju lokasi" in sent["Body"]
    (row,) = await _rows(app)
    assert row["kind"] == "text" and row["sent_at"] is not None
    assert await notify.flush(app.ctx.backend.engine, sender) == 0  # sent once


async def test_outside_the_window_the_approved_template_is_used(
    app: Sanic, fake: FakeTwilio
) -> None:
    ticket = await _ticket_moved(app)
    assert await notify.flush(app.ctx.backend.engine, sender_for(fake)) == 1
    (sent,) = fake.messages()
    assert sent["ContentSid"] == "HX1234"
    assert json.loads(sent["ContentVariables"]) == {
        "1": ticket,
        "2": "Sedang ditangani",
        "3": "Tim menuju lokasi",
    }
    assert "Body" not in sent


async def test_a_failed_send_is_kept_and_retried(app: Sanic, fake: FakeTwilio) -> None:
    await _ticket_moved(app)
    fake.failures.append((500, 20500))
    assert await notify.flush(app.ctx.backend.engine, sender_for(fake)) == 0
    (row,) = await _rows(app)
    assert row["attempts"] == 1 and row["sent_at"] is None and "20500" in row["last_error"]


async def test_only_whatsapp_reports_are_notified(app: Sanic) -> None:
    await _ticket_moved(app, channel="web")
    assert await _rows(app) == []


async def _make_due(app: Sanic) -> None:
    async with app.ctx.backend.engine.begin() as conn:
        await conn.execute(update(notifications).values(next_attempt_at=utcnow()))


async def test_without_a_template_a_notice_outside_the_window_is_kept_undeliverable(
    app: Sanic, fake: FakeTwilio
) -> None:
    ticket = await _ticket_moved(app)
    config = fake.config(retries=0, templates={})
    sender = WhatsAppSender(TwilioClient(config), ChannelState(MemoryStore()), cipher_from_env())
    assert notify.template_warning(sender) is not None
    assert await notify.flush(app.ctx.backend.engine, sender) == 0
    assert fake.messages() == []  # no doomed sends to Twilio
    (row,) = await _rows(app)
    assert row["state"] == notify.UNDELIVERABLE and "template" in row["last_error"]
    (listed,) = await notify.undelivered(app.ctx.backend.engine)
    assert listed.service_request_id == ticket
    # Kept, but not retried.
    await _make_due(app)
    assert await notify.flush(app.ctx.backend.engine, sender) == 0
    assert (await _rows(app))[0]["attempts"] == 1


async def test_a_notice_failing_past_the_cap_is_kept_as_failed(
    app: Sanic, fake: FakeTwilio
) -> None:
    await _ticket_moved(app)
    sender = sender_for(fake)
    assert notify.template_warning(sender) is None
    fake.failures.extend([(500, 20500)] * (notify.MAX_ATTEMPTS + 2))
    for _ in range(notify.MAX_ATTEMPTS + 2):
        await notify.flush(app.ctx.backend.engine, sender)
        await _make_due(app)
    (row,) = await _rows(app)
    assert row["state"] == notify.FAILED and row["attempts"] == notify.MAX_ATTEMPTS
    assert len(fake.messages()) == notify.MAX_ATTEMPTS
    assert [r.id for r in await notify.undelivered(app.ctx.backend.engine)] == [row["id"]]


async def test_the_notices_command_lists_undelivered_notices(
    app: Sanic, fake: FakeTwilio, settings: Settings
) -> None:
    ticket = await _ticket_moved(app)
    config = fake.config(retries=0, templates={})
    sender = WhatsAppSender(TwilioClient(config), ChannelState(MemoryStore()), cipher_from_env())
    await notify.flush(app.ctx.backend.engine, sender)
    output = run_module("backend", "notices", DATABASE_URL=settings.database_url)
    assert f"undeliverable {ticket}" in output

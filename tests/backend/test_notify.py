"""Status notices reach each reporter on their channel, and are never dropped."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sanic import Sanic
from sqlalchemy import select, update

from backend import keys, notify
from backend.settings import BackendSettings
from backend.tables import notifications
from lapor import channels
from lapor.contact import ContactCipher
from lapor.conversations import RasaConversations
from lapor.outbound import Delivery, Message, Outbound, Recipient
from lapor.settings import DEVELOPMENT_CONTACT_KEY
from lapor.timeutil import utcnow
from lapor.whatsapp.sender import WhatsAppChannel
from lapor.whatsapp.state import ChannelState, MemoryStore
from lapor.whatsapp.twilio import TwilioClient
from tests.backend.helpers import post_request, valid_form
from tests.fake_twilio import FakeTwilio
from tests.servers import free_port, run_module

PHONE = "+6281299990000"
# Every template the backend sends, approved (content SIDs are made up).
ALL_TEMPLATES = {kind: f"HX{1234 + n}" for n, kind in enumerate(notify.TEMPLATES.values())}
CIPHER = ContactCipher(DEVELOPMENT_CONTACT_KEY.encode())


def whatsapp_for(fake: FakeTwilio, templates: Optional[Dict[str, str]] = None) -> WhatsAppChannel:
    config = fake.config(
        retries=0, templates=dict(ALL_TEMPLATES) if templates is None else templates
    )
    return WhatsAppChannel(TwilioClient(config), ChannelState(MemoryStore()), CIPHER)


def outbound_for(fake: FakeTwilio, templates: Optional[Dict[str, str]] = None) -> Outbound:
    return Outbound({channels.WHATSAPP: whatsapp_for(fake, templates)})


class WebInbox:
    """A web channel that keeps what it is given (the real one: lapor/webchat.py)."""

    def __init__(self) -> None:
        self.delivered: List[tuple[Recipient, Message]] = []

    async def deliver(self, recipient: Recipient, message: Message) -> Delivery:
        self.delivered.append((recipient, message))
        return Delivery(recipient.conversation_id, "1-0", "stored")


async def _ticket_moved(
    app: Sanic, channel: str = "whatsapp", account_id: Optional[str] = None
) -> str:
    form = valid_form(channel=channel, phone=PHONE)
    if account_id:
        form["account_id"] = account_id
    _, body = await post_request(app, form)
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
    whatsapp = whatsapp_for(fake)
    sender = Outbound({channels.WHATSAPP: whatsapp})
    # The channel records the citizen's last message under the pseudonym.
    await whatsapp.state.touch(CIPHER.pseudonym(PHONE), at=time.time() - 3600)
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
    assert await notify.flush(app.ctx.backend.engine, outbound_for(fake)) == 1
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
    assert await notify.flush(app.ctx.backend.engine, outbound_for(fake)) == 0
    (row,) = await _rows(app)
    assert row["attempts"] == 1 and row["sent_at"] is None and "20500" in row["last_error"]


async def test_a_web_chat_reporter_is_told_in_their_conversation(app: Sanic) -> None:
    ticket = await _ticket_moved(app, channel="web", account_id="a1b2c3d4e5f6")
    inbox = WebInbox()
    assert await notify.flush(app.ctx.backend.engine, Outbound({channels.WEB: inbox})) == 1
    ((recipient, message),) = inbox.delivered
    assert recipient == Recipient(channels.WEB, conversation_id="a1b2c3d4e5f6")
    assert ticket in message.text and "Tim menuju lokasi" in message.text


async def test_reports_with_no_way_back_queue_no_notice(app: Sanic) -> None:
    await _ticket_moved(app, channel="open311")
    await _ticket_moved(app, channel="web")  # an Open311 web form without a conversation
    assert await _rows(app) == []


async def test_a_notice_with_no_configured_channel_is_kept_undeliverable(app: Sanic) -> None:
    await _ticket_moved(app, channel="web", account_id="a1b2c3d4e5f6")
    assert await notify.flush(app.ctx.backend.engine, Outbound({})) == 0
    (row,) = await _rows(app)
    assert row["state"] == notify.UNDELIVERABLE and "configured" in row["last_error"]


@pytest.fixture
async def rasa_api() -> Any:
    """Rasa's tracker-events endpoint, recording what is appended."""
    recorded: List[tuple[str, Any, Dict[str, str]]] = []
    state: Dict[str, Any] = {"paused": False, "active_loop": {}}  # what the tracker says

    async def append(request: web.Request) -> web.Response:
        recorded.append((request.match_info["id"], await request.json(), dict(request.query)))
        return web.json_response({})

    async def tracker(request: web.Request) -> web.Response:
        return web.json_response(state)

    app = web.Application()
    app.router.add_post("/conversations/{id}/tracker/events", append)
    app.router.add_get("/conversations/{id}/tracker", tracker)
    server = TestServer(app, host="127.0.0.1", port=free_port())
    await server.start_server()
    yield server, recorded, state
    await server.close()


async def test_a_delivered_notice_is_recorded_in_the_rasa_conversation(
    app: Sanic, fake: FakeTwilio, rasa_api: Any
) -> None:
    server, recorded, _ = rasa_api
    ticket = await _ticket_moved(app)
    log = RasaConversations(str(server.make_url("")), "secret-token")
    sender = Outbound({channels.WHATSAPP: whatsapp_for(fake)}, log)
    assert await notify.flush(app.ctx.backend.engine, sender) == 1
    ((conversation, events, query),) = recorded
    # Under the pseudonym the WhatsApp channel gives that number's conversation.
    assert conversation == CIPHER.pseudonym(PHONE)
    # The token, and no tracker in the answer (Rasa would serialise all of it).
    assert query == {"token": "secret-token", "include_events": "NONE"}
    (event,) = events
    assert event["event"] == "bot" and ticket in event["text"]
    assert event["metadata"] == {"origin": "city"}


async def _ask(app: Sanic, question: str) -> str:
    from backend import asking

    _, body = await post_request(app, valid_form(channel="whatsapp", phone=PHONE))
    ticket = str(body[0]["service_request_id"])
    await asking.ask(app.ctx.backend.engine, ticket, question, actor="Sari", department=None)
    return ticket


async def test_a_delivered_question_opens_the_answer_form_in_the_conversation(
    app: Sanic, fake: FakeTwilio, rasa_api: Any
) -> None:
    server, recorded, _ = rasa_api
    ticket = await _ask(app, "Di sebelah mana persisnya?")
    log = RasaConversations(str(server.make_url("")), "secret-token")
    sender = Outbound({channels.WHATSAPP: whatsapp_for(fake)}, log)
    assert await notify.flush(app.ctx.backend.engine, sender) == 1
    ((_, events, _),) = recorded
    assert events[0]["event"] == "bot" and "Di sebelah mana persisnya?" in events[0]["text"]
    opened = [(e["event"], e.get("name"), e.get("value")) for e in events[1:]]
    assert opened == [
        ("slot", "answering_ticket", ticket),
        ("active_loop", "staff_answer_form", None),
        ("slot", "requested_slot", "staff_answer"),
    ]


@pytest.mark.parametrize(
    "busy", [{"paused": True, "active_loop": {}}, {"active_loop": {"name": "emergency_form"}}]
)
async def test_a_question_never_takes_over_an_emergency(
    app: Sanic, fake: FakeTwilio, rasa_api: Any, busy: Dict[str, Any]
) -> None:
    server, recorded, state = rasa_api
    state.update(busy)
    await _ask(app, "Di sebelah mana persisnya?")
    log = RasaConversations(str(server.make_url("")), "secret-token")
    sender = Outbound({channels.WHATSAPP: whatsapp_for(fake)}, log)
    assert await notify.flush(app.ctx.backend.engine, sender) == 1
    ((_, events, _),) = recorded
    assert [e["event"] for e in events] == ["bot"]  # delivered and recorded, no form opened


def test_each_purpose_has_its_words_template_and_expected_answer() -> None:
    question = notify.message("KDR-1", "diproses", "Fotonya kurang jelas", notify.QUESTION)
    assert "Fotonya kurang jelas" in question.text and question.template is not None
    assert question.template.kind == "staff_question"
    assert question.expects and question.expects.form == "staff_answer_form"
    check = notify.message("KDR-1", "selesai", "Sudah diganti", notify.CLOSURE_CHECK, "/media/x")
    assert "Apakah masalahnya sudah beres?" in check.text and check.image_url == "/media/x"
    assert [b.payload for b in check.buttons] == ["/affirm", "/deny"]
    assert check.template is not None and check.template.kind == "closure_check"
    assert check.expects and check.expects.slots == {"closing_ticket": "KDR-1"}
    status = notify.message("KDR-1", "diproses", None)
    assert status.expects is None and status.template and status.template.kind == "ticket_status"


async def _make_due(app: Sanic) -> None:
    async with app.ctx.backend.engine.begin() as conn:
        await conn.execute(update(notifications).values(next_attempt_at=utcnow()))


async def test_without_a_template_a_notice_outside_the_window_is_kept_undeliverable(
    app: Sanic, fake: FakeTwilio
) -> None:
    ticket = await _ticket_moved(app)
    whatsapp = whatsapp_for(fake, templates={})
    sender = Outbound({channels.WHATSAPP: whatsapp})
    assert notify.template_warning(whatsapp.has_template) is not None
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
    sender = outbound_for(fake)
    assert notify.template_warning(whatsapp_for(fake).has_template) is None
    fake.failures.extend([(500, 20500)] * (notify.MAX_ATTEMPTS + 2))
    for _ in range(notify.MAX_ATTEMPTS + 2):
        await notify.flush(app.ctx.backend.engine, sender)
        await _make_due(app)
    (row,) = await _rows(app)
    assert row["state"] == notify.FAILED and row["attempts"] == notify.MAX_ATTEMPTS
    assert len(fake.messages()) == notify.MAX_ATTEMPTS
    assert [r.id for r in await notify.undelivered(app.ctx.backend.engine)] == [row["id"]]


async def test_the_notices_command_lists_undelivered_notices(
    app: Sanic, fake: FakeTwilio, settings: BackendSettings
) -> None:
    ticket = await _ticket_moved(app)
    await notify.flush(app.ctx.backend.engine, outbound_for(fake, templates={}))
    output = run_module("backend", "notices", DATABASE_URL=settings.database_url)
    assert f"undeliverable {ticket}" in output

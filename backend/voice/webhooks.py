"""Twilio Voice's webhooks for the 112 number: the front door of the call.

`POST /voice/incoming` is the number's voice URL, `POST /voice/status` its
status callback; the others are what the TwiML of backend/voice/twiml.py
points Twilio at. Every request must carry a valid X-Twilio-Signature
(backend and WhatsApp channel check it the same way: lapor/twilio_signature.py);
an unsigned or wrongly signed one gets 403 and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any, Dict

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, text
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.context import AppContext, context
from backend.voice import calls, flow, operators
from backend.voice.line import PATH, Line
from lapor.timeutil import utcnow
from lapor.twilio_signature import HEADER, public_url, signed_form

bp = Blueprint("voice", url_prefix=PATH)

XML = "text/xml"
_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
_GATHER_STEP = re.compile(r"^(greeting|prompt-[1-9])$")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _form(request: Request, ctx: AppContext) -> Dict[str, str]:
    """The signed form, with a well-formed CallSid; otherwise Refused."""
    settings = ctx.settings
    url = public_url(
        settings.twilio_webhook_base_url, request.url, request.path, request.query_string
    )
    signature = request.headers.get(HEADER, "")
    form = signed_form(request.body, url, signature, settings.twilio_auth_token)
    if form is None:
        raise Refused(403, "invalid signature")
    if not _SID.match(form.get("CallSid", "")):
        raise Refused(400, "CallSid is missing or malformed")
    return form


@bp.exception(Refused)
async def _refused(request: Request, exc: Refused) -> HTTPResponse:
    return text(str(exc), status=exc.status)


def _line(request: Request) -> Line:
    line: Line = request.app.ctx.voice_line
    return line


async def _answer(request: Request, name: str, act: Any, arrive: bool = False) -> HTTPResponse:
    ctx = context(request)
    form = _form(request, ctx)
    sid = form["CallSid"]
    row = calls.arrival(sid, form.get("From", ""), ctx.cipher, utcnow()) if arrive else None

    async def run(conn: AsyncConnection, call: Any) -> str:
        result: str = await act(conn, call, form)
        return result

    twiml = await calls.step(ctx.engine, sid, name, run, arrive=row)
    return text(twiml or _line(request).voice.empty(), content_type=XML)


@bp.post("/incoming")
async def incoming(request: Request) -> HTTPResponse:
    line = _line(request)

    async def greet(conn: AsyncConnection, call: Any, form: Dict[str, str]) -> str:
        return line.voice.ask("greeting", line.url("/gather?step=greeting"), digits=1)

    return await _answer(request, "incoming", greet, arrive=True)


@bp.post("/gather")
async def gather(request: Request) -> HTTPResponse:
    step = request.args.get("step", "")
    if not _GATHER_STEP.match(step):
        raise Refused(400, "unknown step")
    line = _line(request)

    async def heard(conn: AsyncConnection, call: Any, form: Dict[str, str]) -> str:
        return await calls.gathered(conn, call, line, flow.Heard.from_form(form), utcnow())

    return await _answer(request, f"gather-{step}", heard)


@bp.post("/wait")
async def wait(request: Request) -> HTTPResponse:
    """The hold message, looped by Twilio while the caller waits in the queue."""
    _form(request, context(request))
    return text(_line(request).voice.hold(), content_type=XML)


@bp.post("/status")
async def status(request: Request) -> HTTPResponse:
    ctx = context(request)
    form = _form(request, ctx)
    state = form.get("CallStatus", "")
    if state not in calls.FINAL:
        return text("", status=204)  # ringing, in-progress: nothing to record

    async def end(conn: AsyncConnection, call: Any) -> str:
        await calls.ended(conn, call, state, utcnow())
        return ""

    await calls.step(ctx.engine, form["CallSid"], f"status-{state}", end)
    return text("", status=204)


def _bridged_call(request: Request) -> str:
    """The caller's CallSid, carried in the bridge's URLs (signed with them)."""
    sid = request.args.get("call", "")
    if not _SID.match(sid):
        raise Refused(400, "call is missing or malformed")
    return sid


@bp.post("/answered")
async def answered(request: Request) -> HTTPResponse:
    """The operator picked up (the bridge's <Number url>): the call is connected.

    Requested on the operator's leg: its CallSid is that leg's, the caller's is in the URL."""
    ctx = context(request)
    form = _form(request, ctx)
    sid = _bridged_call(request)

    async def connected(conn: AsyncConnection, call: Any) -> str:
        await operators.connected(conn, call, utcnow())
        return _line(request).voice.empty()

    twiml = await calls.step(ctx.engine, sid, f"answered-{form['CallSid']}", connected)
    return text(twiml or _line(request).voice.empty(), content_type=XML)


@bp.post("/dialled")
async def dialled(request: Request) -> HTTPResponse:
    """The bridge to the operator ended: the call ends, or, if the operator never
    answered, the caller goes back to the queue (and the incident to every operator)."""
    ctx = context(request)
    form = _form(request, ctx)
    line = _line(request)
    outcome = form.get("DialCallStatus", "")

    async def after(conn: AsyncConnection, call: Any) -> str:
        return await operators.dial_ended(conn, call, outcome, line, utcnow())

    name = f"dialled-{form.get('DialCallSid') or outcome}"[:64]
    twiml = await calls.step(ctx.engine, form["CallSid"], name, after)
    return text(twiml or line.voice.empty(), content_type=XML)

"""A local fake of Twilio's REST API: records every call, serves media.

Runs an aiohttp server in a background thread on 127.0.0.1; the channel's
client is pointed at it with TWILIO_API_BASE. Like the real API, a media URL
can redirect to a "CDN" on another origin: the same server reached as
localhost, a different host string from the API's 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Dict, List, Literal, Optional, Tuple
from urllib.parse import urlencode

from aiohttp import web
from PIL import Image
from twilio.request_validator import RequestValidator

from lapor.whatsapp.twilio import TwilioConfig
from tests.servers import free_port

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
WHATSAPP_FROM = "whatsapp:+14155238886"
VOICE_FROM = "+14155238112"
# The public address Twilio is told to call (signatures are computed on it).
PUBLIC = "https://lapor.example.go.id"
WHATSAPP_PATH = "/webhooks/whatsapp/webhook"


def post_webhook(server_url: str, form: Dict[str, str], timeout: float = 30) -> float:
    """Posts a WhatsApp webhook to a Rasa server as Twilio does (signed on
    PUBLIC + path) and checks it was taken; returns the seconds it took."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + WHATSAPP_PATH, form)
    request = urllib.request.Request(
        server_url + WHATSAPP_PATH,
        data=urlencode(form).encode(),
        headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        assert response.status == 200
    return time.monotonic() - started


def _jpeg() -> bytes:
    """A real (tiny) JPEG: the backend decodes and re-encodes every photo it keeps."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


JPEG = _jpeg()

# How a media body is sent: "fast" in one piece with a Content-Length (the
# default), "length" in pieces with a Content-Length, "chunked" in pieces
# without one, "slow" chunked with a pause between pieces.
MediaMode = Literal["fast", "length", "chunked", "slow"]
PIECE = 16 * 1024
SLOW_PAUSE = 0.005  # seconds between pieces: a 4 MB photo takes about 1.3 s


@dataclass
class Call:
    method: str
    path: str
    form: Dict[str, str]
    authorization: Optional[str]
    status: int = 200  # what the fake answered (a message send: 201 when accepted)


@dataclass
class FakeTwilio:
    port: int = field(default_factory=free_port)
    calls: List[Call] = field(default_factory=list)
    # Status codes to answer the next message sends with (then 201 again).
    failures: List[Tuple[int, int]] = field(default_factory=list)  # (HTTP status, Twilio code)
    # Seconds sent as Retry-After with every planned 429 (None: no header).
    retry_after: Optional[int] = None
    media: Dict[str, Tuple[bytes, str]] = field(default_factory=dict)
    media_modes: Dict[str, MediaMode] = field(default_factory=dict)
    # Media names answered with a redirect (this status) to cdn_url(name).
    redirects: Dict[str, int] = field(default_factory=dict)
    _sids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def media_url(self, name: str) -> str:
        return f"{self.url}/media/{name}"

    def cdn_url(self, name: str) -> str:
        """Where a redirected media URL points: the same server, another origin."""
        return f"http://localhost:{self.port}/cdn/{name}"

    def reset(self) -> None:
        """Forgets the calls and every planned answer (between tests)."""
        self.calls.clear()
        self.failures.clear()
        self.retry_after = None
        self.media.clear()
        self.media_modes.clear()
        self.redirects.clear()

    def messages(self) -> List[Dict[str, str]]:
        return [c.form for c in self.calls if c.path.endswith("/Messages.json")]

    def delivered(self) -> List[Dict[str, str]]:
        """The message sends the fake accepted (failed attempts left out)."""
        return [c.form for c in self.calls if c.path.endswith("/Messages.json") and c.status == 201]

    def voice_calls(self) -> List[Dict[str, str]]:
        """The voice calls placed (To, From, Twiml), as Twilio's Calls API received them."""
        return [c.form for c in self.calls if c.path.endswith("/Calls.json") and c.status == 201]

    def call_updates(self) -> List[Dict[str, str]]:
        """Live calls redirected (CallSid, Twiml), as Twilio's Calls API received them."""
        return [
            {**c.form, "CallSid": c.path.rsplit("/", 1)[-1].removesuffix(".json")}
            for c in self.calls
            if "/Calls/" in c.path and c.status == 201
        ]

    def storm(self, count: int, status: int = 500, retry_after: Optional[int] = None) -> None:
        """Answers the next `count` message sends with `status` (500 or 429), as
        Twilio does in an outage or when throttling; 429s carry Retry-After."""
        self.failures.extend([(status, 20429 if status == 429 else 20500)] * count)
        if retry_after is not None:
            self.retry_after = retry_after

    def expected_auth(self) -> str:
        token = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return f"Basic {token}"

    async def _send(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        call = Call("POST", request.path, form, request.headers.get("Authorization"))
        self.calls.append(call)
        if request.headers.get("Authorization") != self.expected_auth():
            call.status = 401
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        if self.failures:
            call.status, code = self.failures.pop(0)
            headers = {}
            if call.status == 429 and self.retry_after is not None:
                headers["Retry-After"] = str(self.retry_after)
            return web.json_response(
                {"code": code, "message": "fake failure"}, status=call.status, headers=headers
            )
        call.status = 201
        prefix = "CA" if request.path.endswith("/Calls.json") else "SM"
        sid = f"{prefix}{next(self._sids):032d}"
        return web.json_response({"sid": sid, "status": "queued"}, status=201)

    async def _media(self, request: web.Request) -> web.StreamResponse:
        self.calls.append(Call("GET", request.path, {}, request.headers.get("Authorization")))
        if request.headers.get("Authorization") != self.expected_auth():
            return web.Response(status=401)
        name = request.match_info["name"]
        if name in self.redirects:
            return web.Response(
                status=self.redirects[name], headers={"Location": self.cdn_url(name)}
            )
        return await self._serve(request, name)

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        # Twilio's CDN URLs are signed: the CDN needs (and should get) no credentials.
        self.calls.append(Call("GET", request.path, {}, request.headers.get("Authorization")))
        return await self._serve(request, request.match_info["name"])

    async def _serve(self, request: web.Request, name: str) -> web.StreamResponse:
        data, content_type = self.media.get(name, (JPEG, "image/jpeg"))
        mode = self.media_modes.get(name, "fast")
        if mode == "fast":
            return web.Response(body=data, content_type=content_type)
        response = web.StreamResponse(headers={"Content-Type": content_type})
        if mode == "length":
            response.content_length = len(data)
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(data), PIECE):
            await response.write(data[start : start + PIECE])
            if mode == "slow":
                await asyncio.sleep(SLOW_PAUSE)
        await response.write_eof()
        return response

    def start(self) -> "FakeTwilio":
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._send)
            # Twilio Voice: the same checks and answers as a message send.
            app.router.add_post("/2010-04-01/Accounts/{sid}/Calls.json", self._send)
            # A live call given new TwiML (a queued 112 caller taken by an operator).
            app.router.add_post("/2010-04-01/Accounts/{sid}/Calls/{call}.json", self._send)
            app.router.add_get("/media/{name}", self._media)
            app.router.add_get("/cdn/{name}", self._cdn)
            runner = web.AppRunner(app)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
            ready.set()
            loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(10)
        return self

    def config(self, **overrides: Any) -> TwilioConfig:
        """A channel configuration pointed at this fake, fast retries."""
        settings: Dict[str, Any] = {
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "whatsapp_from": WHATSAPP_FROM,
            "voice_from": VOICE_FROM,
            "api_base": self.url,
            "backoff": 0.01,
            **overrides,
        }
        return TwilioConfig(**settings)

    def env(self) -> Dict[str, str]:
        return {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
            "TWILIO_VOICE_FROM": VOICE_FROM,
            "TWILIO_API_BASE": self.url,
        }


class Citizen:
    """A citizen on WhatsApp: signed webhooks into Rasa's channel, and what the
    city sent them as the fake Twilio received it."""

    def __init__(self, rasa_url: str, fake: FakeTwilio) -> None:
        import uuid

        self.rasa_url = rasa_url
        self.fake = fake
        self.number = f"+62812{uuid.uuid4().int % 10**8:08d}"

    def send(self, **fields: str) -> None:
        import uuid

        form = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "From": f"whatsapp:{self.number}",
            "To": WHATSAPP_FROM,
            "NumMedia": "0",
            "Body": "",
            **fields,
        }
        post_webhook(self.rasa_url, form, timeout=10)

    def received(self) -> List[str]:
        mine = f"whatsapp:{self.number}"
        return [m.get("Body", "") for m in self.fake.messages() if m["To"] == mine]

    def wait_for(self, text: str, timeout: float = 30, after: int = 0) -> str:
        """The latest message holding `text`, among those after the first `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [b for b in self.received()[after:] if text in b]
            if found:
                return found[-1]
            time.sleep(0.2)
        raise AssertionError(f"no message with {text!r}; got {self.received()}")

"""Twilio Voice, simulated: callers that follow the backend's TwiML as Twilio would.

A `Caller` has a script (what they do at each prompt: speak, press keys, stay
silent, hang up). `ring` posts the number's voice webhook, answers each
<Gather> by posting to its action URL, stops at <Enqueue> (in the queue) or
<Hangup>, and finishes with the status callback Twilio sends when the call
ends. Every request is signed exactly as Twilio signs it: the public URL
(TWILIO_WEBHOOK_BASE_URL + path + query) and every form field.

Used by the webhook tests, the simulated call mix and `make bench-voice`;
`post` is any async way to reach the backend (Sanic's test client or HTTP).
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from tests.fake_twilio import AUTH_TOKEN, PUBLIC, VOICE_FROM

Post = Callable[[str, bytes, Dict[str, str]], Awaitable[Tuple[int, str]]]
_sids = itertools.count(1)


def call_sid() -> str:
    return f"CA{next(_sids):032x}"


def signed(url: str, form: Dict[str, str]) -> Dict[str, str]:
    return {
        "X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, form),
        "Content-Type": "application/x-www-form-urlencoded",
    }


@dataclass(frozen=True)
class Act:
    """What the caller does when a prompt listens."""

    speech: str = ""
    confidence: float = 0.0
    digits: str = ""
    hang_up: bool = False

    def form(self) -> Dict[str, str]:
        form: Dict[str, str] = {}
        if self.speech:
            form.update(SpeechResult=self.speech, Confidence=f"{self.confidence:.2f}")
        if self.digits:
            form["Digits"] = self.digits
        return form


SILENCE = Act()
HANG_UP = Act(hang_up=True)


def says(words: str, confidence: float = 0.9) -> Act:
    return Act(speech=words, confidence=confidence)


def presses(digits: str) -> Act:
    return Act(digits=digits)


@dataclass
class Outcome:
    sid: str
    queued: bool = False
    twiml: List[str] = field(default_factory=list)
    statuses: List[int] = field(default_factory=list)


@dataclass
class Caller:
    number: str
    script: List[Act]
    sid: str = field(default_factory=call_sid)

    async def ring(self, post: Post, end: bool = True) -> Outcome:
        """The call, up to the queue or its end; `end` sends the final status callback
        (a queued caller's call ends later: `hang_up_in_queue`)."""
        outcome = Outcome(self.sid)
        twiml = await self._post(post, PUBLIC + "/voice/incoming", outcome, CallStatus="ringing")
        for act in self.script:
            gather = _element(twiml, "Gather")
            if gather is None:
                break
            if act.hang_up:
                break
            twiml = await self._post(post, gather.attrib["action"], outcome, **act.form())
            if _element(twiml, "Enqueue") is not None:
                outcome.queued = True
                break
        else:
            gather = _element(twiml, "Gather")
            if gather is not None:  # the script ran out: silence to the end
                while gather is not None:
                    twiml = await self._post(post, gather.attrib["action"], outcome)
                    gather = _element(twiml, "Gather")
                outcome.queued = _element(twiml, "Enqueue") is not None
        if end and not outcome.queued:
            await self.status(post, "completed", outcome)
        return outcome

    async def status(self, post: Post, state: str, outcome: Optional[Outcome] = None) -> int:
        outcome = outcome or Outcome(self.sid)
        await self._post(post, PUBLIC + "/voice/status", outcome, CallStatus=state)
        return outcome.statuses[-1]

    async def _post(self, post: Post, url: str, outcome: Outcome, **fields: str) -> str:
        form = {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.number,
            "To": VOICE_FROM,
            "Direction": "inbound",
            **fields,
        }
        status, text = await post(local(url), urlencode(form).encode(), signed(url, form))
        outcome.statuses.append(status)
        outcome.twiml.append(text)
        return text


def local(url: str) -> str:
    """The path and query of a public URL: where the test client posts it."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _element(twiml: str, tag: str) -> Optional[ET.Element]:
    if not twiml.strip():
        return None
    return ET.fromstring(twiml).find(f".//{tag}")


def sanic_post(app: object) -> Post:
    """`post` through a Sanic app's ASGI test client."""

    async def post(path: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
        _, response = await app.asgi_client.post(path, content=body, headers=headers)  # type: ignore[attr-defined]
        return response.status, response.text

    return post


def http_post(base_url: str) -> Post:
    """`post` over HTTP to a running backend (one aiohttp session per event loop)."""
    import aiohttp

    sessions: Dict[int, aiohttp.ClientSession] = {}

    async def post(path: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
        import asyncio

        loop = id(asyncio.get_running_loop())
        if loop not in sessions:
            sessions[loop] = aiohttp.ClientSession()
        async with sessions[loop].post(base_url + path, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def close() -> None:
        for session in sessions.values():
            await session.close()
        sessions.clear()

    post.close = close  # type: ignore[attr-defined]
    return post


def server_env() -> Dict[str, str]:
    """What a test backend needs to answer the 112 number (with the fake Twilio's env)."""
    return {"TWILIO_WEBHOOK_BASE_URL": PUBLIC, "TWILIO_TEMPLATES": '{"ghost_call": "HXghost"}'}

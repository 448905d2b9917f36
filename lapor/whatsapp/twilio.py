"""Twilio's REST API, called without blocking the event loop.

`TWILIO_API_BASE` points the client at another host: the tests run a fake of
Twilio's API on localhost (tests/fake_twilio.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple, Union

import aiohttp
from aiohttp_retry import ExponentialRetry, RetryClient
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from yarl import URL

from lapor import audio, http
from lapor.privacy import mask_phone, mask_text
from lapor.settings import DEFAULT_MAX_PHOTO_BYTES, DEFAULT_TWILIO_API_BASE, WhatsAppSettings

logger = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
MEDIA_CHUNK = 64 * 1024
MEDIA_TIMEOUT = aiohttp.ClientTimeout(total=30)  # per hop


class TwilioError(Exception):
    def __init__(self, status: int, code: Optional[int], message: str) -> None:
        # Twilio quotes the number it refused (21211: "The 'To' number
        # whatsapp:+62... is not a valid phone number"), and this text goes into
        # logs and notices' error fields: masked here, wherever it is shown.
        super().__init__(f"HTTP {status}, Twilio error {code}: {mask_text(message)}")
        self.status = status
        self.code = code


class MediaRejected(ValueError):
    """A medium that is neither an image nor a voice note (lapor/audio.py), or too large."""


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    whatsapp_from: str  # "whatsapp:+14155238886"
    # The number voice calls come from (Twilio Voice: call-backs, alarms); "" for none.
    voice_from: str = ""
    api_base: str = DEFAULT_TWILIO_API_BASE
    # Public URL Twilio calls for delivery receipts (None: no receipts).
    status_callback: Optional[str] = None
    max_media_bytes: int = DEFAULT_MAX_PHOTO_BYTES
    # Approved templates per message kind: {"ticket_status": "HX..."}.
    templates: Dict[str, str] = field(default_factory=dict)
    # A reply outlives a storm of 429/5xx of about a minute: 0.5 s doubling to
    # 30 s (0.5+1+2+4+8+16+30), or what Twilio's Retry-After asks for.
    retries: int = 7
    backoff: float = 0.5  # seconds, doubled per retry

    @classmethod
    def from_settings(cls, settings: WhatsAppSettings) -> "TwilioConfig":
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            whatsapp_from=_whatsapp(settings.twilio_whatsapp_from),
            voice_from=settings.twilio_voice_from,
            api_base=settings.twilio_api_base,
            status_callback=settings.twilio_status_callback_url,
            max_media_bytes=settings.max_photo_bytes,
            templates=dict(settings.twilio_templates),
        )

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.whatsapp_from)


def _whatsapp(number: str) -> str:
    number = number.strip()
    return number if not number or number.startswith("whatsapp:") else f"whatsapp:{number}"


class RetryAfterBackoff(ExponentialRetry):
    """Exponential backoff, but as long as a 429's Retry-After asks (within reason)."""

    MOST = 30.0  # seconds: a longer Retry-After is not waited for in one go

    def get_timeout(self, attempt: int, response: Optional[aiohttp.ClientResponse] = None) -> float:
        asked = response.headers.get("Retry-After") if response is not None else None
        if asked:
            try:
                return min(max(float(asked), 0.0), self.MOST)
            except ValueError:  # an HTTP date: fall back to the backoff
                pass
        return super().get_timeout(attempt, response)


class TwilioHttp(AsyncTwilioHttpClient):
    """The twilio package's async HTTP client, on the process's shared session,
    pointed at TWILIO_API_BASE, and retrying 429 as well as 5xx and dropped
    connections (the package retries 5xx only and has no base-URL setting)."""

    def __init__(self, api_base: str, retries: int, backoff: float, timeout: float = 15) -> None:
        super().__init__(pool_connections=False, timeout=timeout, logger=logger)
        self._base = URL(api_base)
        self._retry = RetryAfterBackoff(
            attempts=retries + 1,
            start_timeout=backoff,
            statuses=set(RETRY_STATUSES),
            exceptions={aiohttp.ClientError, asyncio.TimeoutError},
        )

    async def request(
        self,
        method: str,
        url: str,
        params: Optional[Dict[str, object]] = None,
        data: Optional[Dict[str, object]] = None,
        headers: Optional[Dict[str, str]] = None,
        auth: Optional[Tuple[str, str]] = None,
        timeout: Optional[float] = None,
        allow_redirects: bool = False,
    ) -> Response:
        # Not closed here: the session is the process's (lapor/http.py).
        client = RetryClient(client_session=http.session(), retry_options=self._retry)
        async with client.request(
            method.upper(),
            self._rebased(url),
            params=params,
            data=data,
            headers=headers,
            auth=aiohttp.BasicAuth(*auth) if auth else None,
            timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
            allow_redirects=allow_redirects,
        ) as response:
            return Response(response.status, await response.text(), response.headers)

    def _rebased(self, url: str) -> URL:
        """https://api.twilio.com/... -> the same path on TWILIO_API_BASE."""
        target = URL(url)
        return (
            target.with_scheme(self._base.scheme)
            .with_host(self._base.host or "")
            .with_port(self._base.port)
        )


class TwilioClient:
    def __init__(self, config: TwilioConfig) -> None:
        self.config = config
        self._rest = Client(
            config.account_sid or "AC-not-configured",
            config.auth_token or "not-configured",
            http_client=TwilioHttp(config.api_base, config.retries, config.backoff),
        )

    async def send(
        self,
        to: str,
        body: Optional[str] = None,
        media_url: Optional[str] = None,
        content_sid: Optional[str] = None,
        content_variables: Optional[Dict[str, str]] = None,
    ) -> str:
        """Sends one WhatsApp message; returns its MessageSid."""
        options: Dict[str, Any] = {}
        if body:
            options["body"] = body
        if media_url:
            options["media_url"] = [media_url]
        if content_sid:
            options["content_sid"] = content_sid
            options["content_variables"] = json.dumps(content_variables or {}, ensure_ascii=False)
        if self.config.status_callback:
            options["status_callback"] = self.config.status_callback
        try:
            message = await self._rest.messages.create_async(
                to=_whatsapp(to), from_=self.config.whatsapp_from, **options
            )
        except TwilioRestException as exc:
            error = TwilioError(exc.status, exc.code, exc.msg)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = TwilioError(0, None, f"{type(exc).__name__}: {exc}")  # no answer at all
        else:
            return str(message.sid)
        logger.error("WhatsApp send to %s failed: %s", mask_phone(to), error)
        raise error

    async def call(self, to: str, twiml: str) -> str:
        """Places a voice call from TWILIO_VOICE_FROM that runs `twiml`; returns its CallSid."""
        if not self.config.voice_from:
            raise TwilioError(0, None, "TWILIO_VOICE_FROM is not set: no voice calls")
        try:
            call = await self._rest.calls.create_async(
                to=to, from_=self.config.voice_from, twiml=twiml
            )
        except TwilioRestException as exc:
            error = TwilioError(exc.status, exc.code, exc.msg)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = TwilioError(0, None, f"{type(exc).__name__}: {exc}")
        else:
            return str(call.sid)
        logger.error("voice call to %s failed: %s", mask_phone(to), error)
        raise error

    async def redirect(self, call_sid: str, twiml: str) -> None:
        """Gives a live call new instructions (a 112 caller, out of the queue to an operator)."""
        try:
            await self._rest.calls(call_sid).update_async(twiml=twiml)
        except TwilioRestException as exc:
            error = TwilioError(exc.status, exc.code, exc.msg)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = TwilioError(0, None, f"{type(exc).__name__}: {exc}")
        else:
            return
        logger.error("call %s not redirected: %s", call_sid, error)
        raise error

    async def fetch_media(self, url: str) -> Tuple[bytes, str]:
        """Downloads an inbound photo or voice note, whole, and no larger than the limit.

        Raises MediaRejected for a URL off Twilio's API host, a type that is
        neither an image nor a voice note, or an oversize one; TwilioError for
        a download that failed. The type returned is the response's, without
        parameters ("audio/ogg; codecs=opus" -> "audio/ogg").
        """
        refusal = _refusal(url, self.config.api_base)
        if refusal:
            logger.warning("media URL refused: %s", refusal)
            raise MediaRejected(f"media URL refused: {refusal}")
        try:
            return await self._download(URL(url))
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            # str(), not repr(): a response error's repr carries the request headers.
            reason = f"{type(exc).__name__}: {exc}"
            raise TwilioError(0, None, f"media download failed: {reason}") from exc

    async def _download(self, url: URL) -> Tuple[bytes, str]:
        # Redirects are followed here, not by aiohttp, so that the credentials
        # go to Twilio's API host only, never to the CDN it redirects to.
        for _ in range(MAX_REDIRECTS + 1):
            async with http.session().get(
                url,
                headers=self._credentials_for(url),
                allow_redirects=False,
                timeout=MEDIA_TIMEOUT,
            ) as response:
                if response.status in REDIRECT_STATUSES:
                    url = _redirect_target(response)
                    continue
                return await self._read_media(response)
        raise TwilioError(0, None, f"media download: more than {MAX_REDIRECTS} redirects")

    def _credentials_for(self, url: URL) -> Dict[str, str]:
        if _origin(url) != _origin(self.config.api_base):
            return {}
        auth = aiohttp.BasicAuth(self.config.account_sid, self.config.auth_token)
        return {"Authorization": auth.encode()}

    async def _read_media(self, response: aiohttp.ClientResponse) -> Tuple[bytes, str]:
        if response.status >= 300:
            # Without the query: a CDN URL's query is its signature.
            where = response.url.with_query(None)
            raise TwilioError(response.status, None, f"media download failed: {where}")
        content_type = audio.base_type(response.headers.get("Content-Type"))
        if not (content_type.startswith("image/") or audio.is_audio_type(content_type)):
            raise MediaRejected(f"not an image or voice note: {content_type or 'unknown type'}")
        # One limit for photos and voice notes (MAX_PHOTO_BYTES): the backend's.
        limit = self.config.max_media_bytes
        declared = response.content_length or 0
        if declared > limit:
            raise MediaRejected(f"media of {declared} bytes is over the limit")
        # One read() returns only what is buffered: read to the end, and count
        # as we go, since a chunked body declares no length.
        data = bytearray()
        async for chunk in response.content.iter_chunked(MEDIA_CHUNK):
            data += chunk
            if len(data) > limit:
                raise MediaRejected("media is over the size limit")
        return bytes(data), content_type


Origin = Tuple[str, str, Optional[int]]


def _origin(url: Union[str, URL]) -> Origin:
    """Scheme, host and port (the scheme's default if not given): who may see the credentials."""
    parsed = URL(url)
    return parsed.scheme.lower(), (parsed.host or "").lower(), parsed.port


def _refusal(url: str, api_base: str) -> Optional[str]:
    """Why a MediaUrl may not be fetched with our credentials; None if it may.

    The credentials go wherever the MediaUrl points, so it must be on Twilio's API host.
    """
    try:
        origin = _origin(url)
        userinfo = URL(url).user is not None
    except ValueError as exc:  # yarl refuses, e.g., a port that is not a number
        return f"unreadable URL ({exc})"
    if origin != _origin(api_base):
        return f"{_text(origin)} is not the Twilio API at {_text(_origin(api_base))}"
    if userinfo:  # aiohttp would refuse to add our Authorization header to it
        return "the URL carries credentials of its own"
    return None


def _text(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}" if host else "a URL without a host"


def _redirect_target(response: aiohttp.ClientResponse) -> URL:
    location = response.headers.get("Location")
    if not location:
        raise TwilioError(response.status, None, "media redirect without a Location")
    target = response.url.join(URL(location))
    if target.scheme not in ("http", "https"):
        raise TwilioError(response.status, None, f"media redirect to {target.scheme!r}")
    return target

"""Twilio's REST API, called without blocking the event loop.

`TWILIO_API_BASE` points the client at another host: the tests run a fake of
Twilio's API on localhost (tests/fake_twilio.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import aiohttp
from yarl import URL

from lapor.privacy import mask_phone

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.twilio.com"
DEFAULT_MAX_MEDIA_BYTES = 5 * 1024 * 1024
RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
MEDIA_CHUNK = 64 * 1024


class TwilioError(Exception):
    def __init__(self, status: int, code: Optional[int], message: str) -> None:
        super().__init__(f"HTTP {status}, Twilio error {code}: {message}")
        self.status = status
        self.code = code


class MediaRejected(ValueError):
    """A photo that is not an image, or too large."""


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    whatsapp_from: str  # "whatsapp:+14155238886"
    api_base: str = DEFAULT_API_BASE
    # Public URL Twilio calls for delivery receipts (None: no receipts).
    status_callback: Optional[str] = None
    max_media_bytes: int = DEFAULT_MAX_MEDIA_BYTES
    # Approved templates per message kind: {"ticket_status": "HX..."}.
    templates: Dict[str, str] = field(default_factory=dict)
    retries: int = 3
    backoff: float = 0.5  # seconds, doubled per retry

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "TwilioConfig":
        env = os.environ if environ is None else environ
        templates = json.loads(env.get("TWILIO_TEMPLATES") or "{}")
        return cls(
            account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            whatsapp_from=_whatsapp(env.get("TWILIO_WHATSAPP_FROM", "")),
            api_base=(env.get("TWILIO_API_BASE") or DEFAULT_API_BASE).rstrip("/"),
            status_callback=env.get("TWILIO_STATUS_CALLBACK_URL") or None,
            max_media_bytes=int(env.get("WHATSAPP_MAX_MEDIA_BYTES") or DEFAULT_MAX_MEDIA_BYTES),
            templates={str(k): str(v) for k, v in templates.items()},
        )

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.whatsapp_from)


def _whatsapp(number: str) -> str:
    number = number.strip()
    return number if not number or number.startswith("whatsapp:") else f"whatsapp:{number}"


class TwilioClient:
    def __init__(self, config: TwilioConfig) -> None:
        self.config = config

    async def send(
        self,
        to: str,
        body: Optional[str] = None,
        media_url: Optional[str] = None,
        content_sid: Optional[str] = None,
        content_variables: Optional[Dict[str, str]] = None,
    ) -> str:
        """Sends one WhatsApp message; returns its MessageSid."""
        form: Dict[str, str] = {"To": _whatsapp(to), "From": self.config.whatsapp_from}
        if body:
            form["Body"] = body
        if media_url:
            form["MediaUrl"] = media_url
        if content_sid:
            form["ContentSid"] = content_sid
            form["ContentVariables"] = json.dumps(content_variables or {}, ensure_ascii=False)
        if self.config.status_callback:
            form["StatusCallback"] = self.config.status_callback
        url = f"{self.config.api_base}/2010-04-01/Accounts/{self.config.account_sid}/Messages.json"
        result = await self._post(url, form, to)
        return str(result.get("sid", ""))

    async def _post(self, url: str, form: Dict[str, str], to: str) -> Dict[str, Any]:
        auth = aiohttp.BasicAuth(self.config.account_sid, self.config.auth_token)
        timeout = aiohttp.ClientTimeout(total=15)
        delay = self.config.backoff
        for attempt in range(self.config.retries + 1):
            try:
                async with aiohttp.ClientSession(timeout=timeout, auth=auth) as session:  # noqa: SIM117
                    async with session.post(url, data=form) as response:
                        body = await response.json(content_type=None)
                        status = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                status, body = 0, {"message": str(exc)}
            if status and status < 400:
                return dict(body or {})
            error = TwilioError(status, (body or {}).get("code"), (body or {}).get("message", ""))
            retryable = status == 0 or status in RETRY_STATUSES  # 0: no answer at all
            if not retryable or attempt == self.config.retries:
                logger.error("WhatsApp send to %s failed: %s", mask_phone(to), error)
                raise error
            logger.warning("WhatsApp send to %s: %s; retrying", mask_phone(to), error)
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    async def fetch_media(self, url: str) -> Tuple[bytes, str]:
        """Downloads an inbound photo, whole, and no larger than the limit.

        Raises MediaRejected for a URL off Twilio's API host, a non-image or an
        oversize photo; TwilioError for a download that failed.
        """
        refusal = _refusal(url, self.config.api_base)
        if refusal:
            logger.warning("media URL refused: %s", refusal)
            raise MediaRejected(f"media URL refused: {refusal}")
        timeout = aiohttp.ClientTimeout(total=30)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                return await self._download(session, URL(url))
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            # str(), not repr(): a response error's repr carries the request headers.
            reason = f"{type(exc).__name__}: {exc}"
            raise TwilioError(0, None, f"media download failed: {reason}") from exc

    async def _download(self, session: aiohttp.ClientSession, url: URL) -> Tuple[bytes, str]:
        # Redirects are followed here, not by aiohttp, so that the credentials
        # go to Twilio's API host only, never to the CDN it redirects to.
        for _ in range(MAX_REDIRECTS + 1):
            async with session.get(
                url, headers=self._credentials_for(url), allow_redirects=False
            ) as response:
                if response.status in REDIRECT_STATUSES:
                    url = _redirect_target(response)
                    continue
                return await self._read_image(response)
        raise TwilioError(0, None, f"media download: more than {MAX_REDIRECTS} redirects")

    def _credentials_for(self, url: URL) -> Dict[str, str]:
        if _origin(url) != _origin(self.config.api_base):
            return {}
        auth = aiohttp.BasicAuth(self.config.account_sid, self.config.auth_token)
        return {"Authorization": auth.encode()}

    async def _read_image(self, response: aiohttp.ClientResponse) -> Tuple[bytes, str]:
        if response.status >= 300:
            # Without the query: a CDN URL's query is its signature.
            where = response.url.with_query(None)
            raise TwilioError(response.status, None, f"media download failed: {where}")
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if not content_type.startswith("image/"):
            raise MediaRejected(f"not an image: {content_type or 'unknown type'}")
        limit = self.config.max_media_bytes
        declared = response.content_length or 0
        if declared > limit:
            raise MediaRejected(f"image of {declared} bytes is over the limit")
        # One read() returns only what is buffered: read to the end, and count
        # as we go, since a chunked body declares no length.
        data = bytearray()
        async for chunk in response.content.iter_chunked(MEDIA_CHUNK):
            data += chunk
            if len(data) > limit:
                raise MediaRejected("image is over the size limit")
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

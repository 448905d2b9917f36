"""Keep a citizen's photo or voice note in the city backend (Twilio's media
URLs need our credentials and expire), so a ticket's media_url works for
department staff and operators can play a voice note from the console."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.settings import BotSettings
from lapor import http


class MediaStoreError(Exception):
    pass


class MediaRefused(MediaStoreError):
    """The backend looked at the file and refused it (not what its type says,
    too large): the citizen is told, unlike when the backend is down."""


REFUSED_STATUSES = frozenset({400, 413, 415})


class BackendMedia:
    def __init__(self, backend_url: str, api_key: str) -> None:
        self._url = f"{backend_url.rstrip('/')}/api/v1/media"
        self._api_key = api_key

    @classmethod
    def from_settings(cls, settings: BotSettings) -> "BackendMedia":
        return cls(settings.backend_url, settings.open311_api_key)

    async def store(self, data: bytes, content_type: str) -> str:
        """Returns the stored file's public URL."""
        headers = {"Content-Type": content_type, "X-API-Key": self._api_key}
        timeout = aiohttp.ClientTimeout(total=30)
        try:
            async with http.session().post(
                self._url, data=data, headers=headers, timeout=timeout
            ) as response:
                body = await response.json(content_type=None)
                if response.status in REFUSED_STATUSES:
                    raise MediaRefused(f"backend refused the file: {body}")
                if response.status >= 400:
                    raise MediaStoreError(f"backend did not store the file: {body}")
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            # A slow backend is a failed photo, never a failed turn.
            raise MediaStoreError(f"{type(exc).__name__}: {exc}") from exc
        return str(body["url"])

"""Keep a citizen's photo in the city backend (Twilio's media URLs need our
credentials and expire), so a ticket's media_url works for department staff."""

from __future__ import annotations

import os

import aiohttp

from lapor.settings import DEVELOPMENT_API_KEY


class MediaStoreError(Exception):
    pass


class BackendMedia:
    def __init__(self, backend_url: str, api_key: str) -> None:
        self._url = f"{backend_url.rstrip('/')}/api/v1/media"
        self._api_key = api_key

    @classmethod
    def from_env(cls) -> "BackendMedia":
        return cls(
            os.environ.get("BACKEND_URL", "http://localhost:8000"),
            os.environ.get("OPEN311_API_KEY") or DEVELOPMENT_API_KEY,
        )

    async def store(self, data: bytes, content_type: str) -> str:
        """Returns the photo's public URL."""
        headers = {"Content-Type": content_type, "X-API-Key": self._api_key}
        timeout = aiohttp.ClientTimeout(total=30)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self._url, data=data, headers=headers) as response,
            ):
                body = await response.json(content_type=None)
                if response.status >= 400:
                    raise MediaStoreError(f"backend refused the photo: {body}")
        except (aiohttp.ClientError, ValueError) as exc:
            raise MediaStoreError(str(exc)) from exc
        return str(body["url"])

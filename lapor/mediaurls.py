"""Which photo URLs a report may carry: only the backend's own stored media.

A chat client could otherwise attach any link as "its photo", and staff
would open an attacker's page. The backend stores every photo it accepted
at `<its public URL>/media/<32 hex digits>` (backend/media.py).
"""

from __future__ import annotations

import re
from typing import Iterable, List
from urllib.parse import urlsplit

MEDIA_PATH = re.compile(r"/media/[0-9a-f]{32}")


def is_stored_media(url: object, backend_urls: Iterable[str]) -> bool:
    """True for `<one of backend_urls>/media/<id>`, and nothing else."""
    if not isinstance(url, str) or len(url) > 2000:
        return False
    try:
        given = urlsplit(url)
    except ValueError:
        return False
    if given.query or given.fragment or not MEDIA_PATH.fullmatch(given.path):
        return False
    origin = (given.scheme.lower(), given.netloc.lower())
    return any(origin == _origin(base) for base in backend_urls)


def stored_media(urls: object, backend_urls: Iterable[str]) -> List[str]:
    """The stored-media URLs among `urls` (any other value is dropped)."""
    bases = list(backend_urls)
    if not isinstance(urls, list):
        return []
    return [u for u in urls if is_stored_media(u, bases)]


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()

"""One HTTP client session per process (per event loop), shared by every caller.

A session holds the connection pool: opening one per request pays a TCP (and
TLS) handshake every time. Keyed by the running loop, because a session is
bound to the loop that made it (tests run each in a loop of its own).
"""

from __future__ import annotations

import asyncio
import weakref

import aiohttp

KEEPALIVE = 4.0  # seconds an idle connection is kept for reuse

_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]" = (
    weakref.WeakKeyDictionary()
)


def session() -> aiohttp.ClientSession:
    """The shared session of the running loop (pass `timeout=` per request)."""
    loop = asyncio.get_running_loop()
    current = _sessions.get(loop)
    if current is None or current.closed:
        # No cookie jar: one session serves many hosts (Twilio, its CDN, Rasa,
        # the backend), and none of them should see another's cookies.
        # Idle connections are dropped before our servers drop them (Sanic:
        # KEEP_ALIVE_TIMEOUT 5 s): a request on a connection the other side
        # just closed fails ("Can not write request body") instead of being sent.
        connector = aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE)
        current = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
        _sessions[loop] = current
    return current


async def close() -> None:
    """At shutdown: closes the running loop's session."""
    current = _sessions.pop(asyncio.get_running_loop(), None)
    if current is not None and not current.closed:
        await current.close()

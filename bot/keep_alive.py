"""Rasa's calls to the action server over connections kept alive.

`EndpointConfig.request` opens a new aiohttp session, so a new TCP connection,
for every call: two or three per turn to the action server, each paying for
a connection set-up on both sides. `install()` gives each endpoint one
session per event loop that is never closed by a call, so its connections are
reused. They are closed after KEEPALIVE_SECONDS idle, well before the action
server (Sanic: 5 s) would close them itself, so a call never goes out on a
connection the server is closing.

A call whose connection drops before any answer (the server behind it died,
or a proxy closed the kept connection as the call went out) is sent once more,
on a new connection: behind a load balancer it reaches a live replica. The
action server's actions are safe to run twice for one message (reports and
incidents carry idempotency keys), as HAProxy's own retries already assume.

Wrapped once, at start-up of `python -m bot` (bot/__main__.py), never on import.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any, Callable, Dict, Optional, Tuple

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot import patching

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 2.0

MakeSession = Callable[[EndpointConfig], Any]


class _Lent:
    """`async with` over a shared session that leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc: object) -> None:
        return None


def install() -> None:
    """Replaces EndpointConfig.session, and retries EndpointConfig.request once."""
    patching.wrap(EndpointConfig, "session", kept_alive)
    patching.wrap(EndpointConfig, "request", sent_again_when_dropped)


def dropped(exc: BaseException) -> bool:
    """The connection was lost before any answer (not: nobody listens)."""
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return True
    resets = (errno.ECONNRESET, errno.EPIPE)
    return (
        isinstance(exc, aiohttp.ClientOSError)
        and not isinstance(exc, aiohttp.ClientConnectorError)
        and exc.errno in resets
    )


def sent_again_when_dropped(original: Callable[..., Any]) -> Callable[..., Any]:
    async def request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        except aiohttp.ClientError as exc:
            if not dropped(exc):
                raise
            logger.warning("the call to %s lost its connection (%r); sent again", self.url, exc)
            return await original(self, *args, **kwargs)

    return request


def kept_alive(original: MakeSession) -> MakeSession:
    shared: Dict[int, Tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}

    def session(self: EndpointConfig) -> Any:
        loop = _running_loop()
        if loop is None:  # not inside a coroutine: Rasa's own, closed after use
            return original(self)
        found = shared.get(id(self))
        if found is None or found[0] is not loop or found[1].closed:
            found = (loop, new_session(self))
            shared[id(self)] = found
        return _Lent(found[1])

    return session


def new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """What Rasa's EndpointConfig.session makes, with connections kept alive."""
    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
    )


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None

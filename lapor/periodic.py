"""Run a job every few seconds for the life of a server, surviving its failures.

The database queues (the actions' outbox, WhatsApp status notices) are drained
this way in every replica; their rows are claimed with SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Awaitable, Callable, Optional

logger = logging.getLogger(__name__)


async def repeat(
    job: Callable[[], Awaitable[int]],
    every: float,
    what: str,
    stop: Optional[asyncio.Event] = None,
) -> None:
    """Calls `job` (returning how many items it handled) until cancelled, or
    until `stop` is set: then it returns between rounds, never in the middle of
    one (a round cancelled inside a database call can leave its connection
    open past the engine's disposal)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            done = await job()
            if done:
                logger.info("%s: %d handled", what, done)
        except Exception:  # a bad round must not stop the next one
            logger.exception("%s failed; will retry", what)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every)

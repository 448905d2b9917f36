"""Run a job every few seconds for the life of a server, surviving its failures.

The database queues (the actions' outbox, WhatsApp status notices) are drained
this way in every replica; their rows are claimed with SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

logger = logging.getLogger(__name__)


async def repeat(job: Callable[[], Awaitable[int]], every: float, what: str) -> None:
    """Calls `job` (returning how many items it handled) until cancelled."""
    while True:
        try:
            done = await job()
            if done:
                logger.info("%s: %d handled", what, done)
        except Exception:  # a bad round must not stop the next one
            logger.exception("%s failed; will retry", what)
        await asyncio.sleep(every)

"""The consumer's log: a progress line at INFO every few seconds, not per event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

logger = logging.getLogger("backend.pipeline")

INTERVAL = 10.0  # seconds between progress lines while events flow


class Progress:
    def __init__(self, source: str) -> None:
        self._source = source
        self._consumed = 0
        self._stored = 0
        self._since = time.monotonic()

    def add(self, consumed: int, stored: int) -> None:
        self._consumed += consumed
        self._stored += stored
        if time.monotonic() - self._since >= INTERVAL:
            self.flush()

    def flush(self) -> None:
        if self._consumed:
            logger.info(
                "pipeline %s: consumed=%d stored=%d in the last %.0fs",
                self._source,
                self._consumed,
                self._stored,
                time.monotonic() - self._since,
            )
        self._consumed = self._stored = 0
        self._since = time.monotonic()


def backoff(attempt: int) -> float:
    """Seconds to wait after the attempt-th failure in a row: 0.5, 1, 2, ... 10."""
    return float(min(10.0, 0.5 * 2 ** max(0, attempt - 1)))


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when the process is asked to stop."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

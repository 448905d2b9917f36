"""Rasa's `sql` event broker, writing off the event loop in batches.

Rasa's SQLEventBroker commits one row per event on the event loop: under load a
fifth of the Rasa server's time went to those SQLite commits (docs/performance.md).
This broker keeps the same table (`events`: id, sender_id, data), so the
backend's consumer (backend/pipeline/sql_source.py) reads it unchanged, but
`publish` only queues the event. One writer thread inserts whatever is queued
in one transaction, in publishing order.

The queue lives in this process, for milliseconds: `close()` (Rasa's shutdown)
waits until it is written. On SQLite the file is switched to write-ahead
logging, so the consumer reading rows does not block the writer (its deletes
wait their turn, on the writer thread, never on the event loop).
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
from asyncio import AbstractEventLoop
from typing import Any, Dict, List, Optional, Text, Tuple

import sqlalchemy
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

Row = Tuple[Optional[str], str]  # sender_id, the event as JSON
_STOP = object()
MAX_BATCH = 1000  # rows in one INSERT; more wait for the next transaction
RETRY_SECONDS = 1.0


class BatchingSQLEventBroker(SQLEventBroker):
    """endpoints.yml: `event_broker: {type: bot.event_broker.BatchingSQLEventBroker, ...}`
    with the same keys as Rasa's `sql` broker."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            with self.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        self._table = self.SQLBrokerEvent.__table__
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._writer = threading.Thread(
            target=self._write_forever, name="event-broker", daemon=True
        )
        self._writer.start()
        # Rasa's shutdown calls close(); an exit that skips it still writes the queue.
        atexit.register(self.flush)

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: Optional[AbstractEventLoop] = None
    ) -> "BatchingSQLEventBroker":
        return cls(host=broker_config.url, **broker_config.kwargs)

    def publish(self, event: Dict[Text, Any]) -> None:
        # Serialised now: the caller may change the dict after we return.
        self._queue.put((event.get("sender_id"), json.dumps(event)))

    async def close(self) -> None:
        self.flush()

    def flush(self, timeout: float = 30.0) -> None:
        """Returns once everything published so far is written (or `timeout` passed)."""
        if not self._writer.is_alive():
            return
        self._queue.put(_STOP)
        self._writer.join(timeout)

    def _write_forever(self) -> None:
        while True:
            first = self._queue.get()
            batch, stop = self._drain(first)
            if batch:
                self._write(batch)
            if stop:
                return

    def _drain(self, first: Any) -> Tuple[List[Row], bool]:
        batch: List[Row] = []
        item = first
        while True:
            if item is _STOP:
                return batch, True
            batch.append(item)
            if len(batch) >= MAX_BATCH:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _write(self, batch: List[Row]) -> None:
        rows = [{"sender_id": sender, "data": data} for sender, data in batch]
        while True:
            try:
                with self.engine.begin() as conn:
                    conn.execute(sqlalchemy.insert(self._table), rows)
                return
            except sqlalchemy.exc.SQLAlchemyError:
                # Kept and retried, in order: the database may be locked or restarting.
                logger.exception("event broker: %d events not written yet, retrying", len(rows))
                threading.Event().wait(RETRY_SECONDS)

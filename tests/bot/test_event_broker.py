"""The sql event broker writes every event, in publishing order, off the event
loop; a locked database delays the writes but loses none."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import List, Tuple

from bot.event_broker import BatchingSQLEventBroker


def _rows(path: Path) -> List[Tuple[int, str, str]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute("SELECT id, sender_id, data FROM events ORDER BY id"))


async def test_every_event_is_written_in_order_with_rasas_columns(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    broker = BatchingSQLEventBroker(dialect="sqlite", db=str(path))
    for n in range(250):
        broker.publish({"sender_id": f"warga-{n % 3}", "event": "user", "text": f"pesan {n}"})
    await broker.close()
    rows = _rows(path)
    assert [r[0] for r in rows] == list(range(1, 251))  # gapless, as the consumer reads them
    assert [r[1] for r in rows[:4]] == ["warga-0", "warga-1", "warga-2", "warga-0"]
    assert '"text": "pesan 249"' in rows[-1][2]


async def test_publish_returns_before_the_write(tmp_path: Path) -> None:
    """A turn does not wait for SQLite: the database held by another writer
    (the consumer deleting rows) does not block publish, and nothing is lost."""
    path = tmp_path / "events.sqlite3"
    broker = BatchingSQLEventBroker(dialect="sqlite", db=str(path))
    holder = sqlite3.connect(path, timeout=30, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # the write lock
    for n in range(10):
        broker.publish({"sender_id": "warga", "event": "bot", "text": str(n)})
    # publish returned while the database was held: nothing could be written yet.
    assert holder.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    threading.Timer(1.0, holder.commit).start()
    await broker.close()
    assert [r[2].count('"text"') for r in _rows(path)] == [1] * 10


def test_the_file_uses_write_ahead_logging(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    BatchingSQLEventBroker(dialect="sqlite", db=str(path)).flush()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

"""The outbox never drops a kept report and never leaves a promise unanswered.

The backend is played by a tiny local server answering planned statuses, so
the real Open311 client classifies real HTTP answers (429, 400, 503).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Tuple

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import select, text, update

from actions import outbox, texts
from actions.backend_client import Open311Client
from actions.outbox import DEAD, FILED, MAX_ATTEMPTS, PENDING, REFUSED, Outbox, pending_reports
from actions.rasa_api import ConversationNotifier
from actions.report import SKIPPED, Report
from actions.settings import ActionSettings
from actions.submit import NotifyQueuedReportNotFiled
from lapor.db import sync_url
from tests.actions.trackers import domain, entity, tracker
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.servers import free_port, run_module

REPORT = Report(
    sender_id="whatsapp-pseudonym-1",
    category="street_light",
    location="gang 3",
    kelurahan="Bandar Lor",
    kelurahan_code="35.71.01.1001",
    latitude=None,
    longitude=None,
    description="lampu jalan di gang 3 Bandar Lor mati",
    photo=SKIPPED,
    channel="whatsapp",
)
CREATED = [
    {
        "service_request_id": "KDR-2026-000042",
        "agency_responsible": "Dinas Perhubungan",
        "expected_datetime": "2026-12-02T17:00:00+07:00",
    }
]


class Backend:
    """Answers POST /open311/v2/requests.json with the planned (status, body)s."""

    def __init__(self) -> None:
        self.answers: List[Tuple[int, object]] = []
        self.requests = 0
        app = web.Application()
        app.router.add_post("/open311/v2/requests.json", self._create)
        self.server = TestServer(app, host="127.0.0.1", port=free_port())

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        status, body = self.answers.pop(0) if self.answers else (201, CREATED)
        return web.json_response(body, status=status)

    def settings(self) -> ActionSettings:
        return ActionSettings.load(backend_url=str(self.server.make_url("")))


class Notices:
    """What the conversations were told; `fail` plans Rasa being unreachable."""

    def __init__(self) -> None:
        self.filed: List[Tuple[str, str]] = []
        self.not_filed: List[Tuple[str, Optional[str]]] = []
        self.fail = 0

    def _maybe_fail(self) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("Rasa is down")

    async def report_filed(self, sender_id: str, ticket: str) -> None:
        self._maybe_fail()
        self.filed.append((sender_id, ticket))

    async def report_not_filed(self, sender_id: str, reason: Optional[str]) -> None:
        self._maybe_fail()
        self.not_filed.append((sender_id, reason))


@pytest.fixture
async def backend() -> Backend:
    fake = Backend()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
async def box(empty_database: str) -> Outbox:
    queue = Outbox(empty_database)
    await queue.put(REPORT, "key-1")
    yield queue
    await queue.close()


def _rows(url: str) -> List[dict]:
    engine = create_sync_engine(sync_url(url), future=True)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(pending_reports))]
    engine.dispose()
    return rows


def _make_due(url: str) -> None:
    """Time passes: every retry and notice is due now."""
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    engine = create_sync_engine(sync_url(url), future=True)
    with engine.begin() as conn:
        conn.execute(update(pending_reports).values(next_attempt_at=past))
        conn.execute(
            update(pending_reports)
            .where(pending_reports.c.notice_due_at.is_not(None))
            .values(notice_due_at=past)
        )
    engine.dispose()


async def test_a_filed_report_is_announced_once(backend: Backend, box: Outbox) -> None:
    notices = Notices()
    client = Open311Client(backend.settings())
    assert await box.flush(client, notices) == 1
    assert await box.flush(client, notices) == 0
    assert notices.filed == [(REPORT.sender_id, "KDR-2026-000042")]
    (row,) = _rows(box.url)
    assert row["state"] == FILED and row["noticed_at"] is not None


async def test_a_rate_limited_report_waits_and_is_filed_later(
    backend: Backend, box: Outbox
) -> None:
    backend.answers = [(429, [{"code": 429, "description": "terlalu banyak laporan"}])]
    notices = Notices()
    client = Open311Client(backend.settings())
    assert await box.flush(client, notices) == 0
    (row,) = _rows(box.url)
    assert row["state"] == PENDING
    wait = row["next_attempt_at"].replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)
    assert wait > timedelta(minutes=10)
    assert notices.filed == notices.not_filed == []
    _make_due(box.url)
    assert await box.flush(client, notices) == 1
    assert notices.filed == [(REPORT.sender_id, "KDR-2026-000042")]


async def test_a_refused_report_tells_the_citizen_what_happened(
    backend: Backend, box: Outbox
) -> None:
    reason = "service_code tidak dikenal"
    backend.answers = [(400, [{"code": 400, "description": reason}])]
    notices = Notices()
    await box.flush(Open311Client(backend.settings()), notices)
    assert notices.not_filed == [(REPORT.sender_id, reason)]
    (row,) = _rows(box.url)
    assert row["state"] == REFUSED and row["noticed_at"] is not None
    # Refused is final: no further filing attempts.
    _make_due(box.url)
    await box.flush(Open311Client(backend.settings()), notices)
    assert backend.requests == 1
    assert [d.id for d in await box.dead_letters()] == [row["id"]]


async def test_an_unanswered_report_is_dead_lettered_after_the_cap(
    backend: Backend, box: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    backend.answers = [(503, {"error": "down"})] * (MAX_ATTEMPTS + 5)
    notices = Notices()
    client = Open311Client(backend.settings())
    for _ in range(MAX_ATTEMPTS - 1):
        await box.flush(client, notices)
        _make_due(box.url)
    (row,) = _rows(box.url)
    assert row["state"] == PENDING and row["attempts"] == MAX_ATTEMPTS - 1
    with caplog.at_level(logging.ERROR, logger="lapor.jobs"):
        await box.flush(client, notices)
    (row,) = _rows(box.url)
    assert row["state"] == DEAD
    assert "outbox: job" in caplog.text and "gave up after 24 attempts" in caplog.text
    assert notices.not_filed == [(REPORT.sender_id, None)]
    _make_due(box.url)
    await box.flush(client, notices)
    assert backend.requests == MAX_ATTEMPTS  # no retries after the cap
    (letter,) = await box.dead_letters()
    assert letter.state == DEAD and letter.category == "street_light"


async def test_the_filed_notice_is_retried_until_rasa_takes_it(
    backend: Backend, box: Outbox
) -> None:
    notices = Notices()
    notices.fail = 2
    client = Open311Client(backend.settings())
    assert await box.flush(client, notices) == 1
    (row,) = _rows(box.url)
    assert row["state"] == FILED and row["noticed_at"] is None and row["notice_attempts"] == 1
    _make_due(box.url)
    await box.flush(client, notices)
    assert notices.filed == []
    _make_due(box.url)
    await box.flush(client, notices)
    _make_due(box.url)
    await box.flush(client, notices)
    assert notices.filed == [(REPORT.sender_id, "KDR-2026-000042")]
    assert backend.requests == 1  # the report itself was filed once


async def test_an_unreachable_rasa_keeps_the_notice(backend: Backend, box: Outbox) -> None:
    settings = backend.settings().copy(update={"rasa_url": f"http://127.0.0.1:{free_port()}"})
    assert await box.flush(Open311Client(settings), ConversationNotifier(settings)) == 1
    (row,) = _rows(box.url)
    assert row["noticed_at"] is None and row["notice_due_at"] is not None
    assert "Rasa not reachable" in row["notice_error"]


async def test_a_table_from_the_previous_release_is_upgraded(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_sync_engine(sync_url(url), future=True)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE pending_reports (id INTEGER PRIMARY KEY, idempotency_key "
                "VARCHAR(64) NOT NULL UNIQUE, sender_id VARCHAR(255) NOT NULL, report JSON "
                "NOT NULL, attempts INTEGER NOT NULL, last_error TEXT, next_attempt_at "
                "DATETIME NOT NULL, filed_ticket VARCHAR(32), filed_at DATETIME, created_at "
                "DATETIME NOT NULL)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO pending_reports VALUES (1, 'k1', 's', '{}', 1, 'refused: 400', "
                "'9999-01-01 00:00:00', NULL, NULL, '2026-11-01 00:00:00'), "
                "(2, 'k2', 's', '{}', 0, NULL, '2026-11-01 00:00:00', NULL, NULL, "
                "'2026-11-01 00:00:00')"
            )
        )
    engine.dispose()
    queue = Outbox(url)
    assert await queue.pending() == 1
    assert [d.id for d in await queue.dead_letters()] == [1]
    await queue.close()


async def test_the_dead_letters_command_lists_them(backend: Backend, box: Outbox) -> None:
    backend.answers = [(400, [{"code": 400, "description": "deskripsi terlalu panjang"}])]
    await box.flush(Open311Client(backend.settings()), Notices())
    output = run_module("actions", "dead-letters", OUTBOX_DATABASE_URL=box.url)
    assert "refused" in output and "street_light" in output
    assert "deskripsi terlalu panjang" in output


@pytest.mark.parametrize(
    ("entities", "expected"),
    [
        ([entity("reason", "kategori tidak dikenal")], "tidak dapat diterima"),
        ([], "gangguan yang berlangsung lama"),
    ],
)
async def test_the_citizen_is_told_the_report_is_not_recorded(
    entities: list, expected: str
) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("", "EXTERNAL_report_not_filed", entities=entities)
    await NotifyQueuedReportNotFiled().run(dispatcher, t, domain())
    (message,) = dispatcher.messages
    assert expected in message["text"] and "*belum* tercatat" in message["text"]
    if entities:
        assert "kategori tidak dikenal" in message["text"]
    assert message["text"] in (
        texts.QUEUED_DEAD,
        texts.QUEUED_REFUSED.format(reason="kategori tidak dikenal"),
    )
    assert outbox.summary([])  # the empty listing says so rather than printing nothing


@pytest.mark.postgres
async def test_replicas_starting_together_create_the_tables_once() -> None:
    url = _create_postgres_database()  # no tables yet
    replicas = [Outbox(url) for _ in range(4)]
    try:
        # Every action server's first report at the same moment, each its own pool.
        await asyncio.gather(*(box.put(REPORT, f"key-{i}") for i, box in enumerate(replicas)))
        assert len(_rows(url)) == 4
    finally:
        for box in replicas:
            await box.close()
        _drop_postgres_database(url)

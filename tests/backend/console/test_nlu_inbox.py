"""The bot's inbox page (backend/console/nlu_inbox.py): editors see the messages the
bot was unsure about, add one as a training example (written to the app's own
working copy and committed once) or ignore it; either way it leaves the inbox."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sanic import Sanic

from backend.settings import BackendSettings
from tests.backend.console.helpers import signed_in
from tests.backend.console.test_tickets import get, post
from tests.backend.editor.test_inbox import MINUTE, event_id, ran, said, write
from tests.backend.editor.test_inbox import no_decisions as no_decisions

UNSURE = "jalan depan sekolah bolong gede banget tolong"
# Near a report_road example of data/nlu: the page shows it as similar.
NEAR = "minggu lalu ada yang jatuh di lubang ini tolong ditambal depan warung kopi jl hasanudin"
# Held out for measuring the model (tests/nlu/heldout.yml): never training data.
HELDOUT = "bangjo prapatan mauni mati. semrawut. tiap sore."


@pytest.fixture
def app(database_url: str, nlu_repo: Path) -> Iterator[Sanic]:
    """The backend on a working copy of its own: these tests commit to it."""
    from backend.app import create_app

    settings = BackendSettings.load(
        database_url=database_url, open311_api_key="test-api-key", nlu_data_repo=nlu_repo
    )
    yield create_app(settings, name=f"backend-{uuid.uuid4().hex[:8]}")


def commits(repo: Path) -> int:
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def last_message(repo: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%s%n%an"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def cards(html: str) -> list[str]:
    """The event ids of the page's messages, in page order."""
    return re.findall(r'data-event="(\d+)"', html)


async def unsure_messages(database_url: str) -> None:
    now = time.time()
    await write(
        database_url,
        "warga-1",
        [
            said(UNSURE, "report_road", 0.42, now - 20 * MINUTE),
            ran("report_form", now - 20 * MINUTE + 1),
        ],
    )
    await write(
        database_url,
        "warga-2",
        [
            said(NEAR, "nlu_fallback", 0.3, now - 10 * MINUTE),
            ran("action_unsure", now - 10 * MINUTE + 1),
        ],
    )
    await write(
        database_url,
        "warga-3",
        [said(HELDOUT, "report_street_light", 0.5, now - 5 * MINUTE)],
    )


async def test_the_page_lists_the_messages_with_their_reasons(
    app: Sanic, database_url: str
) -> None:
    await unsure_messages(database_url)
    editor = await signed_in(database_url, "editor1", ["editor"])
    page = await get(app, editor, "/console/nlu/inbox")
    assert page.status == 200
    ids = [str(await event_id(database_url, t)) for t in (HELDOUT, NEAR, UNSURE)]
    assert cards(page.text) == ids  # newest first
    assert UNSURE in page.text and "42%" in page.text and "report_road" in page.text
    assert "Bot ragu (keyakinan rendah)" in page.text
    assert "Ditawari “laporkan saja”" in page.text
    assert "Mirip contoh yang ada" in page.text
    assert "minggu lalu ada yang jatuh di lubang ini, tolong ditambal" in page.text
    assert '<option value="prank">' in page.text
    assert '<option value="report_road" selected>' in page.text
    assert "/console/conversations/" not in page.text  # editors do not read conversations
    both = await signed_in(database_url, "editor2", ["editor", "triage"])
    assert "/console/conversations/" in (await get(app, both, "/console/nlu/inbox")).text


async def test_a_message_becomes_an_example_in_one_commit_and_leaves_the_inbox(
    app: Sanic, database_url: str, nlu_repo: Path
) -> None:
    await unsure_messages(database_url)
    editor = await signed_in(database_url, "editor1", ["editor"])
    before = commits(nlu_repo)
    target = await event_id(database_url, UNSURE)
    fields = {"aksi": "contoh", "intent": "report_road", "text": UNSURE, "spans": "[]"}
    done = await post(app, editor, f"/console/nlu/inbox/{target}", fields)
    assert done.status == 303
    assert done.headers["location"] == "/console/nlu/inbox?selesai=report_road"
    assert commits(nlu_repo) == before + 1
    assert last_message(nlu_repo) == "Kotak masuk: contoh baru untuk report_road\nEditor1"
    assert f"- {UNSURE}\n" in (nlu_repo / "data" / "nlu" / "report_road.yml").read_text()
    page = await get(app, editor, done.headers["location"])
    assert "Contoh sudah ditambahkan ke report_road." in page.text
    assert str(target) not in cards(page.text)
    again = await post(app, editor, f"/console/nlu/inbox/{target}", fields)
    assert again.status == 409 and "sudah diputuskan" in again.text
    assert commits(nlu_repo) == before + 1


async def test_a_refused_example_keeps_the_draft_and_commits_nothing(
    app: Sanic, database_url: str, nlu_repo: Path
) -> None:
    await unsure_messages(database_url)
    editor = await signed_in(database_url, "editor1", ["editor"])
    before = commits(nlu_repo)
    target = await event_id(database_url, HELDOUT)
    fields = {"aksi": "contoh", "intent": "report_street_light", "text": HELDOUT, "spans": "[]"}
    refused = await post(app, editor, f"/console/nlu/inbox/{target}", fields)
    assert refused.status == 422
    assert "Kalimat ini ada di data uji" in refused.text
    assert 'data-code="heldout_copy"' in refused.text
    assert "Contoh belum disimpan" in refused.text
    assert commits(nlu_repo) == before
    assert str(target) in cards(refused.text)  # still waiting
    no_intent = await post(
        app, editor, f"/console/nlu/inbox/{target}", {**fields, "intent": "", "text": "abc"}
    )
    assert no_intent.status == 422 and "Mohon pilih intent" in no_intent.text
    assert ">abc</textarea>" in no_intent.text


async def test_an_ignored_message_leaves_the_inbox(app: Sanic, database_url: str) -> None:
    await unsure_messages(database_url)
    editor = await signed_in(database_url, "editor1", ["editor"])
    target = await event_id(database_url, NEAR)
    done = await post(app, editor, f"/console/nlu/inbox/{target}", {"aksi": "abaikan"})
    assert done.status == 303
    page = await get(app, editor, done.headers["location"])
    assert "Pesan sudah diabaikan" in page.text
    assert str(target) not in cards(page.text) and len(cards(page.text)) == 2
    unknown = await post(app, editor, "/console/nlu/inbox/987654", {"aksi": "abaikan"})
    assert unknown.status == 404 and "tidak ditemukan" in unknown.text


async def test_the_inbox_is_for_editors_only(app: Sanic, database_url: str) -> None:
    await unsure_messages(database_url)
    staff = await signed_in(database_url, "staf", ["staff"], "dishub")
    assert (await get(app, staff, "/console/nlu/inbox")).status == 403
    target = await event_id(database_url, NEAR)
    refused = await post(app, staff, f"/console/nlu/inbox/{target}", {"aksi": "abaikan"})
    assert refused.status == 403

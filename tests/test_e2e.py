"""End to end: backend, action server and Rasa server, one complaint over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from sqlalchemy import create_engine, select

from actions.rasa_api import ConversationNotifier
from actions.settings import get_settings
from backend.tables import incidents, ticket_events, tickets
from lapor import http
from lapor.db import sync_url
from tests import servers
from tests.conftest import _create_postgres_database, _drop_postgres_database

pytestmark = pytest.mark.e2e
TOKEN = "e2e-token"
# Low, so that a new session starts after each report filed or status answered.
SESSION_MAX_EVENTS = 15


class Stack:
    def __init__(
        self, database_url: str, rasa: servers.Server, backend: servers.Server, logs: Path
    ) -> None:
        self.database_url = database_url
        self.rasa = rasa
        self.backend = backend
        self.logs = logs

    def restart_backend(self) -> None:
        port = int(self.backend.url.rsplit(":", 1)[1])
        self.backend = servers.start_backend(self.database_url, self.logs, port=port)

    def tickets_of(self, sender: str) -> List[Any]:
        engine = create_engine(sync_url(self.database_url), future=True)
        with engine.connect() as conn:
            rows = conn.execute(select(tickets).where(tickets.c.account_id == sender)).all()
        engine.dispose()
        return list(rows)

    def bot_texts(self, sender: str) -> List[str]:
        url = f"{self.rasa.url}/conversations/{sender}/tracker?token={TOKEN}"
        with urllib.request.urlopen(url, timeout=30) as response:
            events = json.loads(response.read())["events"]
        return [e.get("text") or "" for e in events if e["event"] == "bot"]

    def say(self, sender: str, message: str) -> List[Dict[str, Any]]:
        return servers.rest_say(self.rasa.url, sender, message)

    def text(self, sender: str, message: str) -> str:
        return "\n".join(r.get("text", "") for r in self.say(sender, message))


@pytest.fixture(scope="module")
def stack(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("e2e-logs")
    database_url = _create_postgres_database()
    backend = servers.start_backend(database_url, logs)
    rasa_port = servers.free_port()
    env = servers.actions_env(
        backend.url,
        logs,
        OUTBOX_INTERVAL="1",
        BACKEND_TIMEOUT="3",
        RASA_TOKEN=TOKEN,
        RASA_URL=f"http://127.0.0.1:{rasa_port}",
    )
    stack = None
    try:
        with (
            servers.action_server(env, logs) as actions,
            servers.rasa_server(
                model,
                actions.url,
                logs,
                token=TOKEN,
                port=rasa_port,
                # Every test here also runs across new sessions (bot/sessions.py).
                extra_env={"SESSION_MAX_EVENTS": str(SESSION_MAX_EVENTS)},
            ) as rasa,
        ):
            stack = Stack(database_url, rasa, backend, logs)
            yield stack
    finally:
        backend.stop()
        if stack:
            stack.backend.stop()
        _drop_postgres_database(database_url)


def test_a_complaint_over_http_becomes_a_ticket(stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    first = stack.text(sender, "lampu jalan di gang 3 Bandar Lor mati sejak kemarin")
    # Category, place and description came in one message: said back, then the
    # category's own question, then the photo.
    assert first.startswith("Baik, laporan lampu jalan di gang 3, Kel. Bandar Lor.")
    assert "nomor pada tiang" in first
    assert "foto" in stack.text(sender, "lewati").lower()
    summary = stack.text(sender, "lewati")
    assert "Apakah sudah benar?" in summary
    assert "gang 3" in summary and "Bandar Lor" in summary
    done = stack.text(sender, "ya")
    assert "Nomor tiket" in done and "Dinas Perhubungan" in done

    engine = create_engine(sync_url(stack.database_url), future=True)
    with engine.connect() as conn:
        row = conn.execute(select(tickets).where(tickets.c.account_id == sender)).one()
        events = conn.execute(
            select(ticket_events.c.workflow_status).where(ticket_events.c.ticket_id == row.id)
        ).all()
    engine.dispose()
    assert row.service_request_id in done
    assert row.service_code == "street_light"
    assert row.agency_responsible == "dishub"
    assert "gang 3" in row.address and "Bandar Lor" in row.address
    assert row.kelurahan_code == "35.71.01.1001"
    assert row.description == "lampu jalan di gang 3 Bandar Lor mati sejak kemarin"
    assert row.channel == "web"
    assert [e.workflow_status for e in events] == ["diterima"]

    status = stack.text(sender, f"cek {row.service_request_id}")
    assert row.service_request_id in status and "Diterima" in status


def test_a_long_conversation_goes_on_in_a_new_session_that_keeps_its_slots(
    stack: Stack,
) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for message in ("lampu jalan di gang 3 Bandar Lor mati sejak kemarin", "lewati", "lewati"):
        stack.say(sender, message)
    done = stack.text(sender, "ya")
    (row,) = stack.tickets_of(sender)
    ticket = str(row.service_request_id)
    assert ticket in done
    # Past SESSION_MAX_EVENTS, at rest after the report was filed: this turn
    # begins a new session, and the bot answers it as before.
    assert ticket in stack.text(sender, "cek status laporan saya")
    tracker = _tracker(stack, sender)
    starts = [e for e in tracker["events"] if e.get("name") == "action_session_start"]
    assert len(starts) == 2
    assert tracker["slots"]["last_ticket"] == ticket  # carried over
    # The next turn works on the new session only: a bounded load.
    assert ticket in stack.text(sender, "cek status laporan saya")
    events = _tracker(stack, sender)["events"]
    assert events[0]["name"] == "action_session_start" and len(events) < 40


def _tracker(stack: Stack, sender: str) -> Dict[str, Any]:
    url = f"{stack.rasa.url}/conversations/{sender}/tracker?token={TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return dict(json.loads(response.read()))


def test_an_emergency_gets_112_at_once(stack: Stack) -> None:
    replies = stack.say(f"e2e-{uuid.uuid4().hex[:8]}", "tolong ada kebakaran rumah!!")
    # The very first thing the citizen reads is the call instruction; the REST
    # channel sends the tap-to-call link as its own message right after it.
    assert "112" in replies[0]["text"]
    assert replies[1]["custom"]["data"]["href"] == "tel:112"
    assert any("lokasi" in r.get("text", "").lower() for r in replies)


def test_a_prank_files_nothing(stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    reply = stack.text(sender, "minta pulsa dong mbak")
    assert "bijak" in reply
    engine = create_engine(sync_url(stack.database_url), future=True)
    with engine.connect() as conn:
        assert conn.execute(select(tickets).where(tickets.c.account_id == sender)).all() == []
    engine.dispose()


def test_a_report_made_while_the_backend_is_down_is_filed_when_it_is_back(
    stack: Stack,
) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    stack.backend.stop()
    stack.text(sender, "sampah numpuk di depan pasar bandar kelurahan bandar lor")
    stack.text(sender, "lewati")
    kept = stack.text(sender, "ya")
    assert "sudah kami simpan" in kept
    assert stack.tickets_of(sender) == []

    stack.restart_backend()
    deadline = time.monotonic() + 60
    while not stack.tickets_of(sender) and time.monotonic() < deadline:
        time.sleep(0.5)
    (ticket,) = stack.tickets_of(sender)
    assert ticket.service_code == "waste"
    # The citizen is told the number in the same conversation.
    while time.monotonic() < deadline:
        if any(ticket.service_request_id in t for t in stack.bot_texts(sender)):
            break
        time.sleep(0.5)
    assert any(ticket.service_request_id in t for t in stack.bot_texts(sender))


def test_an_emergency_and_its_place_reach_the_112_incident(stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    first = stack.text(sender, "tolong ada kebakaran rumah!!")
    # No operator is on duty in this stack: the bot says so, and to call 112.
    assert "belum ada petugas 112" in first and "telepon 112" in first
    reply = stack.text(sender, "di jalan dhoho depan toko emas kelurahan kemasan")
    assert "sudah kami teruskan ke petugas 112" in reply
    engine = create_engine(sync_url(stack.database_url), future=True)
    with engine.connect() as conn:
        (row,) = conn.execute(select(incidents).where(incidents.c.conversation_key == sender))
    engine.dispose()
    assert (row.kind, row.state, row.channel) == ("emergency_fire", "open", "web")
    assert "dhoho" in (row.location_text or "").lower()


def test_a_kept_report_the_backend_refused_is_explained_in_the_conversation(
    stack: Stack,
) -> None:
    # What the outbox does when the backend refuses a kept report
    # (actions/rasa_api.py), against the real Rasa server.
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    stack.say(sender, "halo")
    body = json.dumps(
        {"name": "EXTERNAL_report_not_filed", "entities": {"reason": "kategori tidak dikenal"}}
    ).encode()
    request = urllib.request.Request(
        f"{stack.rasa.url}/conversations/{sender}/trigger_intent?token={TOKEN}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    (told,) = [t for t in stack.bot_texts(sender) if "belum* tercatat" in t]
    assert "kategori tidak dikenal" in told


def test_a_notice_for_a_conversation_an_operator_holds_is_not_swallowed_by_the_pause(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a 112 operator has the conversation, the bot is paused and a triggered
    intent would run nothing: the outbox's notice is sent as the bot's message."""
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    stack.say(sender, "halo")
    post_events(stack, sender, [{"event": "pause"}])
    monkeypatch.setenv("RASA_URL", stack.rasa.url)
    monkeypatch.setenv("RASA_TOKEN", TOKEN)
    get_settings.cache_clear()
    try:
        asyncio.run(_notify_not_filed(sender, "kategori tidak dikenal"))
    finally:
        get_settings.cache_clear()
    (told,) = [t for t in stack.bot_texts(sender) if "belum* tercatat" in t]
    assert "kategori tidak dikenal" in told
    # Still the operator's: the notice did not resume the bot.
    url = f"{stack.rasa.url}/conversations/{sender}/tracker?token={TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as response:
        assert json.loads(response.read())["paused"] is True


async def _notify_not_filed(sender: str, reason: str) -> None:
    try:
        await ConversationNotifier(get_settings()).report_not_filed(sender, reason)
    finally:
        await http.close()


def post_events(stack: Stack, sender: str, events: List[Dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"{stack.rasa.url}/conversations/{sender}/tracker/events?token={TOKEN}",
        data=json.dumps(events).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


# -- one conversation per category (issue 15): the category's own questions --------
# Each turn: what the citizen writes, and words the bot's answer must contain.
# TRANSCRIPTS_DIR=<dir> keeps each conversation as text (the closing notes quote them).
CONVERSATIONS: Dict[str, List[tuple[str, str]]] = {
    "street_light": [
        ("lampu jalan di gang 3 Bandar Lor mati sejak kemarin",
         "Baik, laporan lampu jalan di gang 3, Kel. Bandar Lor."),
        ("PJU-17", "foto"),
        ("lewati", "• Nomor tiang lampu (jika terlihat): PJU-17"),
        ("ya", "Nomor tiket"),
    ],
    "road": [
        ("jalan berlubang besar di jl. kawi, sudah seminggu belum diperbaiki",
         "Baik, laporan jalan rusak di jl. kawi"),
        ("lewati", "Apakah sudah benar?"),
        ("ya", "Nomor tiket"),
    ],
    "tree": [
        ("pohon besar di depan masjid jl. hayam wuruk miring mau tumbang",
         "Baik, laporan pohon di depan masjid jl. hayam wuruk"),
        ("lewati", "Apakah sudah benar?"),
        ("ya", "Nomor tiket"),
    ],
    "waste": [
        ("sampah menumpuk tidak diangkut seminggu", "Baik, laporan sampah."),
        ("di gang 5 kelurahan pakelan", "foto"),
        ("lewati", "Apakah sudah benar?"),
        ("ya", "Nomor tiket"),
    ],
    "drainage": [
        ("selokan mampet di gang melati kelurahan bangsal, air meluber ke jalan",
         "Baik, laporan saluran air di gang melati, Kel. Bangsal."),
        ("lewati", "Apakah sudah benar?"),
        ("ya", "Nomor tiket"),
    ],
    "social_aid": [
        ("bantuan BPNT ibu saya tidak cair 3 bulan", "Baik, laporan bantuan sosial (BPNT)."),
        ("bangsal rt 02 rw 05", "NIK penerima"),
        ("lewati", "foto"),
        ("lewati", "• Program bantuan: BPNT"),
        ("ada yang salah", "Rincian"),
        ("rincian", "Bantuan apa"),
        ("PKH", "NIK penerima"),
        ("nik ibu saya 3571015708900001", "• Program bantuan: PKH"),
        ("ya", "Nomor tiket"),
    ],
    "education": [
        ("ada pungutan uang gedung 2 juta di smpn 4 kediri padahal sekolah negeri",
         "Baik, laporan pendidikan di SMP Negeri 4 Kediri."),
        ("lewati", "Apakah sudah benar?"),
        ("ya", "Nomor tiket"),
    ],
    "water": [
        ("air pdam mati sudah 3 hari di jl. kawi gang 2", "nomor pelanggan PDAM"),
        ("nomor pelanggan saya 01.02.03456", "foto"),
        ("lewati", "• Nomor pelanggan PDAM (jika ada): 01.02.03456"),
        ("ya", "Nomor tiket"),
    ],
    "health": [
        ("antri di puskesmas sukorame sampai 4 jam, pelayanannya lambat sekali",
         "Baik, laporan layanan kesehatan di Puskesmas Sukorame"),
        ("lewati", "Apakah sudah benar?"),
        ("ya", "Nomor tiket"),
    ],
    "public_order": [
        ("pkl jualan di trotoar jl. dhoho bikin pejalan kaki turun ke jalan",
         "Baik, laporan ketertiban umum di jl. dhoho"),
        ("lewati", "Apakah sudah benar?"),
        ("ya", "Nomor tiket"),
    ],
    "civil_registry": [
        ("KTP elektronik saya belum jadi padahal sudah rekam 3 bulan",
         "Baik, laporan administrasi kependudukan."),
        ("kelurahan pesantren rt 1 rw 3", "NIK yang bersangkutan"),
        ("357101570890000", "yang Bapak/Ibu kirim 15 angka"),
        ("3571015708900001", "foto"),
        ("lewati", "• NIK yang bersangkutan: …0001 (tersegel)"),
        ("ya", "Nomor tiket"),
    ],
}  # fmt: skip
EXPECTED_ATTRIBUTES = {
    "street_light": {"pole_number": "PJU-17"},
    "social_aid": {"program": "pkh"},
    "water": {"customer_number": "01.02.03456"},
}


def _shown(reply: Dict[str, Any]) -> str:
    """A bot message as the citizen sees it: its text and its buttons."""
    buttons = " | ".join(b["title"] for b in reply.get("buttons") or [])
    return (reply.get("text") or "") + (f"  [{buttons}]" if buttons else "")


@pytest.mark.parametrize("category", sorted(CONVERSATIONS))
def test_each_category_asks_its_own_questions_and_files_the_answers(
    stack: Stack, category: str
) -> None:
    sender = f"e2e-{category}-{uuid.uuid4().hex[:6]}"
    transcript: List[str] = []
    for said, expected in CONVERSATIONS[category]:
        lines = [_shown(r) for r in stack.say(sender, said)]
        transcript += [f"Warga: {said}", *(f"Bot:   {line}" for line in lines)]
        assert expected in "\n".join(lines), "\n".join(transcript)
    if os.environ.get("TRANSCRIPTS_DIR"):
        folder = Path(os.environ["TRANSCRIPTS_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{category}.txt").write_text("\n".join(transcript) + "\n", encoding="utf-8")
    (row,) = stack.tickets_of(sender)
    assert row.service_code == category
    attributes = dict(row.attributes)
    if category in ("social_aid", "civil_registry"):
        # The household's place, and an NIK only ever sealed.
        assert row.kelurahan_code is not None
        assert "3571015708900001" not in json.dumps(attributes)
        sealed = attributes.pop("nik")
        assert sealed["last4"] == "0001"
    assert attributes == EXPECTED_ATTRIBUTES.get(category, {})


def test_a_second_problem_in_the_message_is_offered_after_the_first_is_filed(
    stack: Stack,
) -> None:
    sender = f"e2e-two-{uuid.uuid4().hex[:6]}"
    transcript: List[str] = []

    def say(text: str) -> str:
        lines = [_shown(r) for r in stack.say(sender, text)]
        transcript.extend([f"Warga: {text}", *(f"Bot:   {line}" for line in lines)])
        return "\n".join(lines)

    def skip_to_the_summary() -> None:
        # The photo, and a pole number if the report is the street light's.
        for _ in range(3):
            if "Apakah sudah benar?" in say("lewati"):
                return
        raise AssertionError("\n".join(transcript))

    # The first problem leads; two in equal measure make the model unsure, and the
    # citizen then picks a category from the unsure offer (tests of actions/unsure.py).
    first = say("lampu jalan di gang 3 bandar lor mati sudah seminggu, selokannya juga mampet")
    assert "Saya juga membaca masalah" in first, "\n".join(transcript)
    skip_to_the_summary()
    filed = say("ya")
    assert "Nomor tiket" in filed and "juga menyebut masalah" in filed, "\n".join(transcript)
    # Typed, the button's title is the button: the second report starts at the same place.
    second = say("ya, laporkan juga")
    assert "gang 3, Kel. Bandar Lor." in second, "\n".join(transcript)
    skip_to_the_summary()
    assert "Nomor tiket" in say("ya"), "\n".join(transcript)
    if os.environ.get("TRANSCRIPTS_DIR"):
        folder = Path(os.environ["TRANSCRIPTS_DIR"])
        (folder / "second_problem.txt").write_text("\n".join(transcript) + "\n", encoding="utf-8")
    codes = sorted(row.service_code for row in stack.tickets_of(sender))
    assert codes == ["drainage", "street_light"], "\n".join(transcript)

"""The editors' tool in a real headless Chromium (Debian's), on the whole stack:
citizens talk to the Rasa server, the pipeline stores their messages, the
unsure ones reach the editor's inbox; the editor meets a validation error,
turns a message into a training example (one git commit), deploys a model,
asks for a training that the trainer worker runs, compares the new model with
the deployed one and sees the gate refuse it. Screenshots: reports/editor-*.png."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from backend.editor import inbox
from bot.nlu.evaluation import heldout_sets
from lapor.db import create_engine
from lapor.privacy import mask_names, mask_text
from tests import servers
from tests.backend.console.helpers import make_person
from tests.conftest import (
    GatedModel,
    _create_postgres_database,
    _drop_postgres_database,
    clone_repo,
)
from tests.console_pages import LAPTOP, run, shot, signed_in_page
from tests.model import publish

pytestmark = pytest.mark.e2e

QUICK_CONFIG = servers.REPO_ROOT / "tests" / "nlu" / "quick_config.yml"
# Messages written for this test (in no training or held-out file: the checks
# would say), each with the intent and place an editor would give it. The test
# uses the first the model is unsure of, so a retrained model does not break it.
TO_TEACH = [
    ("kucing mati di tengah jalan gak ada yang ngambil", "report_waste", "tengah jalan"),
    ("kabel listrik nglewer nang ngarep omah", "report_street_light", "ngarep omah"),
    ("wonten kabel semrawut ngarep toko", "report_street_light", "ngarep toko"),
]
TO_IGNORE = [
    "min itu lho yang di deket pasar kok gitu terus",
    "asap pabrik bikin sesak tiap sore",
    "zzqx blorp tralala",
]
THRESHOLD = 0.6  # the inbox's default (EDITOR_INBOX_CONFIDENCE)


@dataclass
class Site:
    url: str
    rasa: servers.Server
    database_url: str
    repo: Path
    good_model: int


def unsure(rasa: servers.Server, text: str) -> bool:
    """Whether the model the bot runs is unsure of the text (Rasa's /model/parse)."""
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(
        f"{rasa.url}/model/parse?token=test-token",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        intent = json.loads(response.read())["intent"]
    return bool(intent["name"] == "nlu_fallback" or intent["confidence"] < THRESHOLD)


def unsure_heldout(rasa: servers.Server) -> Tuple[str, str]:
    """A held-out sentence (tests/nlu/heldout_b.yml) the model is unsure of, and its intent:
    a citizen may write one, and adding it to the training data must be refused."""
    sets = heldout_sets(servers.REPO_ROOT / "tests" / "nlu")
    for text, intent in sets["heldout_b"][:300]:
        shown_as_written = mask_names(mask_text(text)) == text  # the inbox masks names
        if shown_as_written and unsure(rasa, text):
            return text, intent
    raise AssertionError("the model is sure of the first 300 held-out messages")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, gated_model: GatedModel) -> Iterator[Site]:
    logs = tmp_path_factory.mktemp("editor-browser-logs")
    repo = clone_repo(tmp_path_factory.mktemp("editor-browser-repo") / "repo")
    database_url = _create_postgres_database()
    backend_env = {"NLU_DATA_REPO": str(repo)}
    try:
        with servers.backend(database_url, logs, extra_env=backend_env) as backend:
            run(make_person(database_url, "rina", ["editor"]))
            head = subprocess.run(
                ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
            ).stdout.strip()
            gated = (gated_model.path, gated_model.figures)
            good = run(publish(backend.url, database_url, *gated, head, "rina"))
            env = servers.actions_env(backend.url, logs)
            with (
                servers.action_server(env, logs) as actions,
                servers.rasa_server(gated_model.path, actions.url, logs, extra_env=env) as rasa,
            ):
                port = rasa.url.rsplit(":", 1)[1]
                consumer = servers.rasa_events_consumer(database_url, logs, int(port))
                worker = subprocess.Popen(
                    [servers.PYTHON, "-m", "bot", "nlu", "train"],
                    cwd=servers.REPO_ROOT,
                    env=servers.base_env(
                        BACKEND_URL=backend.url,
                        NLU_DATA_REPO=str(repo),
                        TRAINER_CONFIG=str(QUICK_CONFIG),
                        TRAINER_POLL_SECONDS="1",
                    ),
                    stdout=(logs / "worker.log").open("a"),
                    stderr=subprocess.STDOUT,
                )
                try:
                    yield Site(backend.url, rasa, database_url, repo, good)
                finally:
                    for process in (worker, consumer):
                        process.terminate()
                        process.wait(timeout=30)
    finally:
        _drop_postgres_database(database_url)


def wait_for_inbox(database_url: str, texts: List[str], timeout: float = 60) -> None:
    """Until the pipeline has stored the messages and the inbox lists them."""
    deadline = time.monotonic() + timeout
    listed: List[str] = []
    while time.monotonic() < deadline:
        listed = [item.text for item in run(_inbox(database_url))]
        if all(text in listed for text in texts):
            return
        time.sleep(0.5)
    raise AssertionError(f"the inbox lists {listed}, not all of {texts}")


async def _inbox(database_url: str) -> List[inbox.InboxItem]:
    engine = create_engine(database_url)
    try:
        return await inbox.unsure_messages(engine, 0.6, 50)
    finally:
        await engine.dispose()


def item(page: Page, text: str) -> Locator:
    return page.locator("section.inbox-item").filter(has=page.locator("h2", has_text=text))


def git_log(repo: Path) -> List[str]:
    done = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%an|%s", "-3"], capture_output=True, text=True
    )
    return done.stdout.splitlines()


def rasa_data_validate(repo: Path) -> "subprocess.CompletedProcess[str]":
    """Rasa's own check of the data as the editor's save left it."""
    return subprocess.run(
        [servers.PYTHON, "-m", "rasa", "data", "validate", "--domain", "bot/domain",
         "--data", "data/nlu", "data/dialogue", "--config", "bot/config.yml"],
        cwd=repo,
        env=servers.base_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip


def test_an_editor_turns_an_unsure_message_into_an_example_and_a_model_into_a_decision(
    site: Site, browser: Browser
) -> None:
    teach = next(((t, i, p) for t, i, p in TO_TEACH if unsure(site.rasa, t)), None)
    ignore = next((t for t in TO_IGNORE if unsure(site.rasa, t)), None)
    assert teach and ignore, "the bot is sure of every message: write less clear ones"
    text, intent, place = teach
    heldout_text, heldout_intent = unsure_heldout(site.rasa)
    for sender, said in (("warga-1", ignore), ("warga-2", heldout_text), ("warga-3", text)):
        assert servers.rest_say(site.rasa.url, sender, said)
    wait_for_inbox(site.database_url, [ignore, heldout_text, text])

    page = signed_in_page(browser, site.url, "rina", "/console/nlu/inbox", LAPTOP)
    expect(item(page, text)).to_contain_text("Bot ragu")
    shot(page, "editor-inbox")

    # A sentence of a held-out set: adding it is refused, with the reason.
    copied = item(page, heldout_text)
    copied.get_by_text("Jadikan contoh latih").click()
    copied.get_by_label("Maksud (intent)").select_option(heldout_intent)
    copied.get_by_role("button", name="Tambahkan sebagai contoh").click()
    expect(page.get_by_role("alert")).to_contain_text("Contoh belum disimpan")
    expect(page.get_by_role("alert")).to_contain_text("heldout_b.yml")
    commits_before = git_log(site.repo)
    shot(page, "editor-inbox-error")

    # The unclear one is ignored; the other becomes an example, its place marked.
    item(page, ignore).get_by_role("button", name="Abaikan").click()
    expect(item(page, ignore)).to_have_count(0)
    new = item(page, text)
    new.get_by_text("Jadikan contoh latih").click()
    new.get_by_label("Maksud (intent)").select_option(intent)
    start = text.index(place)
    new.locator("textarea").evaluate(
        "(el, range) => { el.focus(); el.setSelectionRange(range[0], range[1]); }",
        [start, start + len(place)],
    )
    new.get_by_role("button", name="Lokasi").click()
    expect(new.locator(".nlu-chips")).to_contain_text(f"Lokasi: {place}")
    shot(page, "editor-inbox-marking")
    new.get_by_role("button", name="Tambahkan sebagai contoh").click()
    expect(page.get_by_role("status")).to_contain_text(f"Contoh sudah ditambahkan ke {intent}")
    expect(item(page, text)).to_have_count(0)
    assert git_log(site.repo)[0] == f"Rina|Kotak masuk: contoh baru untuk {intent}"
    assert len(git_log(site.repo)) == len(commits_before)  # the refusal wrote nothing
    written = (site.repo / f"data/nlu/{intent}.yml").read_text(encoding="utf-8")
    marked = text.replace(place, f"[{place}](location)", 1)
    assert f"    - {marked}\n" in written
    assert rasa_data_validate(site.repo).returncode == 0

    page.goto(f"{site.url}/console/nlu/intents/{intent}")
    expect(page.locator("ol.nlu-examples li").last).to_contain_text(place)
    shot(page, "editor-intent")

    # The model the city runs today, deployed through the gate.
    page.goto(f"{site.url}/console/nlu/models/{site.good_model}")
    shot(page, "editor-model-first")
    page.get_by_role("button", name="Pasang model ini").click()
    expect(page.get_by_role("status")).to_contain_text(f"Model #{site.good_model} dipasang")

    # A training of the data with the new example; the worker runs it (3 epochs:
    # a test model, which the gate must refuse).
    page.get_by_role("button", name="Latih model").click()
    expect(page.get_by_role("status")).to_contain_text("dimasukkan antrean")
    running = page.locator("li.training[data-state=running]")
    expect(running).to_have_count(1, timeout=120_000)
    expect(running.locator("[data-role=progress-line]")).to_be_visible()
    shot(page, "editor-training")
    finished = page.locator("li.training").first
    expect(finished).to_have_attribute("data-state", "done", timeout=1_200_000)
    shot(page, "editor-models")

    finished.locator("a[href^='/console/nlu/models/']").click()
    expect(page.locator("main")).to_contain_text("Model ini akan ditolak")
    shot(page, "editor-model-compare")
    page.get_by_role("button", name="Pasang model ini").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Model tidak dipasang")
    expect(alert).to_contain_text("Recall darurat")
    shot(page, "editor-deploy-refused")

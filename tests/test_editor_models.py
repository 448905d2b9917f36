"""The editors' models through real processes: the trainer worker (`python -m
bot nlu train`) trains a commit of the data and hands back the model with its
figures; the gate refuses a model trained without its emergency examples; a
Rasa server pulls each deployed model from the backend's model server and
keeps its conversations across the swap, and across a rollback."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from backend import people
from backend.editor import deployments, trainings
from lapor.db import create_engine
from lapor.nlu import gate
from tests import servers
from tests.conftest import (
    GatedModel,
    _create_postgres_database,
    _drop_postgres_database,
    clone_repo,
)
from tests.model import publish

QUICK_CONFIG = servers.REPO_ROOT / "tests" / "nlu" / "quick_config.yml"
TOKEN = "dev-editor-token"
EDITOR = "editor.uji"


@dataclass
class EditorStack:
    backend: servers.Server
    repo: Path
    database_url: str
    logs: Path


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def _make_editor(url: str) -> None:
    engine = create_engine(url)
    try:
        await people.create_user(engine, EDITOR, "kata-sandi-uji-panjang", ["editor"])
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EditorStack]:
    url = _create_postgres_database()
    repo = clone_repo(tmp_path_factory.mktemp("editor-repo") / "repo")
    logs = tmp_path_factory.mktemp("editor-logs")
    try:
        with servers.backend(url, logs, extra_env={"NLU_DATA_REPO": str(repo)}) as backend:
            run(_make_editor(url))
            yield EditorStack(backend, repo, url, logs)
    finally:
        _drop_postgres_database(url)


def cli(stack: EditorStack, *args: str) -> "subprocess.CompletedProcess[str]":
    """`python -m backend nlu ...` as an editor at a shell."""
    env = {"DATABASE_URL": stack.database_url, "NLU_DATA_REPO": str(stack.repo)}
    return servers.run_process("backend", "nlu", *args, **env)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout


def without_emergency_examples(repo: Path) -> None:
    """A developer's commit that leaves each emergency intent two examples."""
    for path in sorted((repo / "data" / "nlu").glob("emergency_*.yml")):
        kept: List[str] = []
        examples = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("- ") and line.startswith("    "):
                examples += 1
                if examples > 2:
                    continue
            kept.append(line)
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.invalid", "commit", "-qam",
        "Uji: contoh darurat dikurangi")  # fmt: skip


@pytest.fixture(scope="module")
def weak_model(stack: EditorStack) -> int:
    """A model the trainer worker trained on data without emergency examples."""
    without_emergency_examples(stack.repo)
    queued = cli(stack, "train", "--as", EDITOR)
    assert queued.returncode == 0, queued.stdout + queued.stderr
    worker = subprocess.run(
        [servers.PYTHON, "-m", "bot", "nlu", "train", "--once"],
        cwd=servers.REPO_ROOT,
        env=servers.base_env(
            BACKEND_URL=stack.backend.url,
            NLU_DATA_REPO=str(stack.repo),
            TRAINER_CONFIG=str(QUICK_CONFIG),
        ),
        capture_output=True,
        text=True,
        timeout=1500,
    )
    (stack.logs / "worker.log").write_text(worker.stdout + worker.stderr, encoding="utf-8")
    assert worker.returncode == 0, (worker.stdout + worker.stderr)[-3000:]
    done = run(_latest_training(stack.database_url))
    assert done.state == "done", f"{done.state}: {done.error}\n{done.log[-2000:]}"
    assert done.model_id is not None
    assert "Melatih DIETClassifier: epoch 3/3" in done.log or "DIETClassifier" in done.log
    return int(done.model_id)


async def _latest_training(url: str) -> trainings.Training:
    engine = create_engine(url)
    try:
        return (await trainings.recent(engine, 1))[0]
    finally:
        await engine.dispose()


def test_a_model_trained_without_emergency_examples_is_refused(
    stack: EditorStack, weak_model: int
) -> None:
    model = run(_model(stack.database_url, weak_model))
    overall = model.figures["overall"]
    assert overall["emergencies"] > 100  # every held-out set, as the worker found them
    assert overall["emergency_recall"] < gate.DEFAULT_EMERGENCY_RECALL
    refused = cli(stack, "deploy", str(weak_model), "--as", EDITOR)
    print(refused.stdout)  # what a refused deploy looks like (the closing note shows it)
    assert refused.returncode == 1
    assert "refused: Recall darurat" in refused.stdout
    assert "di bawah batas 98,0%" in refused.stdout
    status = cli(stack, "status").stdout
    assert "deployed: none" in status
    assert f"refused model #{weak_model} by {EDITOR}" in status


async def _model(url: str, model_id: int) -> deployments.Model:
    engine = create_engine(url)
    try:
        found = await deployments.get(engine, model_id)
        assert found is not None
        return found
    finally:
        await engine.dispose()


async def _publish(stack: EditorStack, gated: GatedModel) -> int:
    """The session's model as a training of the data before the developer's commit."""
    commit = git(stack.repo, "rev-parse", "HEAD~1").strip()
    return await publish(
        stack.backend.url, stack.database_url, gated.path, gated.figures, commit, EDITOR
    )


def say(rasa: servers.Server, sender: str, text: str) -> List[Dict[str, Any]]:
    return servers.rest_say(rasa.url, sender, text)


def rasa_api(rasa: servers.Server, path: str) -> Any:
    request = urllib.request.Request(f"{rasa.url}{path}?token=test-token")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def served_model(rasa: servers.Server) -> str:
    """The file name of the model Rasa serves; "" while it has none (409), or while
    it is busy loading one: Rasa 3.6 unpacks a pulled model on its event loop, and
    on a loaded machine a status request can wait longer than its timeout then."""
    try:
        return str(rasa_api(rasa, "/status").get("model_file", ""))
    except urllib.error.HTTPError as error:
        if error.code == 409:  # no model loaded yet
            return ""
        raise
    except TimeoutError:
        return ""


def wait_for_model(rasa: servers.Server, filename: str, timeout: float = 240) -> float:
    """Seconds until the Rasa server serves the model file of that name."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if served_model(rasa).endswith(filename):
            return time.monotonic() - start
        time.sleep(0.5)
    raise AssertionError(f"Rasa did not load {filename}: it serves {served_model(rasa)!r}")


def test_rasa_pulls_each_deployed_model_and_keeps_the_conversation(
    stack: EditorStack, weak_model: int, gated_model: GatedModel
) -> None:
    good = run(_publish(stack, gated_model))
    deployed = cli(stack, "deploy", str(good), "--as", EDITOR)
    assert deployed.returncode == 0, deployed.stdout
    good_file = run(_model(stack.database_url, good)).filename
    weak_file = run(_model(stack.database_url, weak_model)).filename
    env = {
        **servers.actions_env(stack.backend.url, stack.logs),
        "MODEL_SERVER_URL": f"{stack.backend.url}/editor/v1/model",
        "MODEL_PULL_SECONDS": "1",
    }
    sender = "editor-model-swap"
    with (
        servers.action_server(env, stack.logs) as actions,
        servers.rasa_server(gated_model.path, actions.url, stack.logs, extra_env=env) as rasa,
    ):
        # No local model: the first one comes from the model server.
        print(f"first model loaded after {wait_for_model(rasa, good_file):.1f} s")
        assert say(rasa, sender, "halo")

        # The swap itself, whatever the model (the gate is tested above): floors off.
        engine_run = run(_deploy_ungated(stack.database_url, weak_model))
        assert engine_run
        print(f"swap to the new model took {wait_for_model(rasa, weak_file):.1f} s")
        assert say(rasa, sender, "lampu jalan depan rumah mati")

        rolled = cli(stack, "rollback", "--as", EDITOR)
        assert rolled.returncode == 0, rolled.stdout
        print(f"rollback took {wait_for_model(rasa, good_file):.1f} s")
        assert say(rasa, sender, "terima kasih")

        tracker = rasa_api(rasa, f"/conversations/{sender}/tracker")
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert said == ["halo", "lampu jalan depan rumah mati", "terima kasih"]


async def _deploy_ungated(url: str, model_id: int) -> bool:
    engine = create_engine(url)
    try:
        outcome = await deployments.deploy(engine, model_id, EDITOR, gate.Floors(0.0, 1.0))
        return outcome.deployed
    finally:
        await engine.dispose()

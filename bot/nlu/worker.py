"""The trainer worker: takes trainings the editors asked for from the backend,
trains the commit's data with Rasa, evaluates the model on the held-out sets
and hands both back (backend/editor/worker_api.py).

The training inputs are exported from the git working copy at exactly the
requested commit (`git archive`), so a model is always the data an editor
saw. `rasa train` and the evaluation run as child processes: their memory
(TensorFlow) is returned after each training. Progress and the log's tail go
to the backend every few seconds, which also keeps the training's lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp

from lapor.paths import REPO_ROOT

logger = logging.getLogger(__name__)

# What `rasa train` needs from a commit, and the held-out sets to score it on.
TRAINING_INPUTS = ("bot/config.yml", "bot/domain", "data/nlu", "data/dialogue", "tests/nlu")
REPORT_EVERY = 3.0  # seconds between progress reports
_EPOCHS = re.compile(r"Epochs:\s+\d+%.*?\|\s*(\d+)/(\d+)")
_COMPONENT = re.compile(r"Starting to train component '([^']+)'")
# Share of the progress bar per phase: preparing, training, evaluating, sending.
_TRAIN_FROM, _TRAIN_TO, _EVALUATE, _SEND = 0.05, 0.85, 0.88, 0.97


@dataclass(frozen=True)
class Job:
    id: int
    commit: str


class EditorClient:
    """The backend's /editor/v1 for one worker."""

    def __init__(self, base_url: str, token: str, worker: str, session: aiohttp.ClientSession):
        self.base = base_url.rstrip("/") + "/editor/v1"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.worker = worker
        self.session = session

    async def claim(self) -> Optional[Job]:
        body = await self._post("/trainings/claim", {})
        return Job(int(body["id"]), str(body["commit"])) if body else None

    async def progress(self, job: Job, stage: str, progress: float, log: str) -> None:
        payload = {"stage": stage, "progress": progress, "log": log[-100_000:]}
        await self._post(f"/trainings/{job.id}/progress", payload)

    async def figures(self, job: Job, figures: Dict[str, Any]) -> None:
        await self._post(f"/trainings/{job.id}/figures", {"figures": figures})

    async def failed(self, job: Job, error: str) -> None:
        await self._post(f"/trainings/{job.id}/failed", {"error": error[-20_000:]})

    async def model(self, job: Job, path: Path) -> int:
        params = {"worker": self.worker, "filename": path.name}
        url = f"{self.base}/trainings/{job.id}/model"
        with path.open("rb") as body:
            async with self.session.put(url, data=body, params=params, headers=self.headers) as r:
                answer = await _answer(r)
        return int(answer["model_id"])

    async def _post(self, path: str, payload: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        body = {"worker": self.worker, **payload}
        async with self.session.post(self.base + path, json=body, headers=self.headers) as r:
            return await _answer(r)


async def _answer(response: aiohttp.ClientResponse) -> Dict[str, Any]:
    if response.status == 204:
        return {}
    if response.status >= 400:
        raise RuntimeError(f"backend answered {response.status}: {await response.text()}")
    answer: Dict[str, Any] = await response.json()
    return answer


class Reporter:
    """Collects the log and sends progress at most every REPORT_EVERY seconds."""

    def __init__(self, client: EditorClient, job: Job) -> None:
        self.client, self.job = client, job
        self.stage, self.progress = "Menyiapkan data", 0.0
        self.pending: List[str] = []
        self.sent_at = 0.0

    async def line(self, text: str) -> None:
        self.pending.append(text)
        component = _COMPONENT.search(text)
        epochs = _EPOCHS.search(text)
        if component:
            self.stage = f"Melatih {component.group(1)}"
        if epochs:
            done, total = int(epochs.group(1)), int(epochs.group(2))
            self.progress = _TRAIN_FROM + (_TRAIN_TO - _TRAIN_FROM) * done / max(total, 1)
            self.stage = f"Melatih DIETClassifier: epoch {done}/{total}"
        if time.monotonic() - self.sent_at >= REPORT_EVERY:
            await self.flush()

    async def step(self, stage: str, progress: float) -> None:
        self.stage, self.progress = stage, progress
        await self.flush()

    async def flush(self) -> None:
        log = "".join(f"{line}\n" for line in self.pending if not _EPOCHS.search(line))
        self.pending = []
        self.sent_at = time.monotonic()
        await self.client.progress(self.job, self.stage, self.progress, log)


async def run_job(client: EditorClient, job: Job, repo: Path, config: Optional[Path]) -> int:
    """Train, evaluate and hand back one training; returns the model's id."""
    reporter = Reporter(client, job)
    with tempfile.TemporaryDirectory(prefix=f"lapor-training-{job.id}-") as folder:
        work = Path(folder)
        try:
            await reporter.step(f"Menyiapkan data commit {job.commit[:10]}", 0.01)
            export(repo, job.commit, work / "src")
            model = await train(work, config, job.commit, reporter.line)
            await reporter.step("Mengevaluasi model pada set uji", _EVALUATE)
            figures_file = work / "figures.json"
            heldout = str(work / "src/tests/nlu")
            evaluate = ["nlu", "evaluate", str(model), "--heldout", heldout]
            await _run(_bot(*evaluate, "--json", str(figures_file)), reporter.line)
            await client.figures(job, json.loads(figures_file.read_text(encoding="utf-8")))
            await reporter.step("Mengirim model", _SEND)
            return await client.model(job, model)
        except Exception as exc:
            logger.exception("training %s failed", job.id)
            await reporter.flush()
            await client.failed(job, f"{type(exc).__name__}: {exc}")
            raise


def export(repo: Path, commit: str, target: Path) -> None:
    """The commit's training inputs, as `git archive` gives them."""
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", commit, *TRAINING_INPUTS],
        check=True,
        capture_output=True,
    ).stdout
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target)


async def train(
    work: Path, config: Optional[Path], commit: str, line: Callable[[str], Awaitable[None]]
) -> Path:
    src, out = work / "src", work / "models"
    name = f"lapor-{commit[:12]}"
    config_file = config or src / "bot/config.yml"
    data = [str(src / "data/nlu"), str(src / "data/dialogue")]
    command = ["train", "--config", str(config_file), "--domain", str(src / "bot/domain")]
    command += ["--data", *data, "--out", str(out), "--fixed-model-name", name]
    await _run([sys.executable, "-m", "rasa", *command], line)
    model = out / f"{name}.tar.gz"
    if not model.is_file():
        raise RuntimeError("rasa train finished without a model")
    return model


async def _run(command: List[str], line: Callable[[str], Awaitable[None]]) -> None:
    """Run a child process from the project's root, passing each output line on."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=REPO_ROOT,  # our components (bot.components.*) import from here
        env=_environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    buffer = b""
    while True:
        chunk = await process.stdout.read(4096)
        if not chunk:
            break
        # tqdm redraws its bar with \r: each redraw counts as a line.
        *lines, buffer = re.split(rb"[\r\n]", buffer + chunk)
        for raw in lines:
            if raw.strip():
                await line(raw.decode("utf-8", "replace"))
    if buffer.strip():
        await line(buffer.decode("utf-8", "replace"))
    code = await process.wait()
    if code != 0:
        raise RuntimeError(f"{' '.join(command[:4])} exited with {code}")


def _environment() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + (
        os.pathsep + env["PYTHONPATH"] if "PYTHONPATH" in env else ""
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    env.setdefault("RASA_CACHE_DIRECTORY", str(cache / "lapor-mbak-wali" / "rasa"))
    return env


def _bot(*args: str) -> List[str]:
    return [sys.executable, "-m", "bot", *args]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def serve(
    backend_url: str,
    token: str,
    repo: Path,
    config: Optional[Path],
    poll_seconds: float,
    once: bool = False,
) -> int:
    """Take trainings until stopped (or, with `once`, until none waits)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
        client = EditorClient(backend_url, token, worker_name(), session)
        logger.info("trainer worker %s waiting for trainings at %s", client.worker, backend_url)
        while True:
            try:
                job = await client.claim()
            except (aiohttp.ClientError, RuntimeError) as exc:
                logger.warning("backend unreachable (%s); trying again", exc)
                job = None
            if job is not None:
                logger.info("training %s of commit %s", job.id, job.commit)
                # A failure is reported to the backend; the worker goes on.
                with contextlib.suppress(Exception):
                    await run_job(client, job, repo, config)
                continue
            if once:
                return 0
            await asyncio.sleep(poll_seconds)

"""The trained model the dialogue and end-to-end tests run (trained if missing)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Dict

from tests.servers import REPO_ROOT, base_env


def trained_model() -> Path:
    """Trains exactly when no model matches the current data and config."""
    subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "train.sh")],
        cwd=REPO_ROOT,
        env=base_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    name = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "model-name.sh")],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return REPO_ROOT / name


async def publish(
    backend_url: str,
    database_url: str,
    model: Path,
    figures: Dict[str, Any],
    commit: str,
    actor: str,
) -> int:
    """A trained model handed to a backend through the worker's API, as the trainer
    worker hands one back (a training of `commit` asked for by `actor`); not deployed."""
    import aiohttp

    from backend.editor import trainings
    from bot.nlu.worker import EditorClient
    from lapor.db import create_engine

    engine = create_engine(database_url)
    try:
        await trainings.request(engine, commit, actor)
    finally:
        await engine.dispose()
    async with aiohttp.ClientSession() as session:
        client = EditorClient(backend_url, "dev-editor-token", "uji:1", session)
        job = await client.claim()
        assert job is not None
        await client.figures(job, figures)
        return await client.model(job, model)

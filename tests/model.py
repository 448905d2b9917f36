"""The trained model the dialogue and end-to-end tests run (trained if missing)."""

from __future__ import annotations

import subprocess
from pathlib import Path

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

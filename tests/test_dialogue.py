"""The conversation tests (tests/test_conversations.yml) against the trained model."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.servers import REPO_ROOT, base_env


def test_conversations_follow_the_stories(model: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "rasa"),
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            str(REPO_ROOT / "tests" / "test_conversations.yml"),
            "--endpoints",
            str(REPO_ROOT / "endpoints.yml"),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO_ROOT,
        env=base_env(ACTION_ENDPOINT_URL="http://127.0.0.1:9/webhook"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else result.stdout[-4000:]
    assert result.returncode == 0, details
    assert "None of the test stories failed" in failed.read_text()

"""The house rule: backend, bot and actions stand on `lapor` and never on each other.

The import graph is read from the source (ast), so an import inside a
function or under TYPE_CHECKING counts as much as one at the top.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from tests.servers import REPO_ROOT, base_env

PROCESSES = ("backend", "bot", "actions")
CORE = "lapor"
ALLOWED = {
    "lapor": {"lapor"},
    "backend": {"backend", "lapor"},
    "bot": {"bot", "lapor"},
    "actions": {"actions", "lapor"},
}


def _imports(path: Path) -> Iterator[Tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def _violations() -> List[str]:
    found = []
    for package, allowed in ALLOWED.items():
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            for line, module in _imports(path):
                top = module.split(".")[0]
                if top in ALLOWED and top not in allowed:
                    found.append(f"{path.relative_to(REPO_ROOT)}:{line} imports {module}")
    return found


def test_no_package_imports_another_process() -> None:
    assert _violations() == []


def test_the_rule_is_checked_on_real_code() -> None:
    # Guard against a walk that silently reads nothing.
    counted = sum(1 for p in PROCESSES for _ in (REPO_ROOT / p).rglob("*.py"))
    assert counted > 40
    assert any(m.startswith("lapor") for _, m in _imports(REPO_ROOT / "actions" / "outbox.py"))


@pytest.mark.parametrize(
    ("entry", "absent"),
    [
        # The action server needs neither the backend's schema tools nor Rasa itself.
        ("actions.__main__", ["alembic", "backend", "bot", "rasa"]),
        # The backend needs neither Rasa (nor TensorFlow behind it) nor the bot.
        ("backend.app", ["rasa", "tensorflow", "bot", "actions"]),
        # The bot's entry point checks its settings before it loads Rasa.
        ("bot.__main__", ["rasa", "tensorflow", "backend", "actions"]),
    ],
)
def test_a_process_starts_without_the_others_heavy_dependencies(
    entry: str, absent: List[str]
) -> None:
    code = (
        f"import sys, importlib; importlib.import_module({entry!r}); "
        f"print(','.join(m for m in {absent!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == ""

"""The training data's git working copy: read the examples, save an editor's change.

Every save is validated (lapor.nlu.checks), written with the round-trip writer
(lapor.nlu.files) and committed under the editor's name, so the data's history
and any rollback come from git. Saves are serialised across processes by an
exclusive lock on a file inside `.git` (replicas share the working copy on one
volume); reads take no lock and are cached per commit.
"""

from __future__ import annotations

import asyncio
import fcntl
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from lapor.nlu import checks
from lapor.nlu.examples import parse_example
from lapor.nlu.files import NluData

NLU_FOLDER = Path("data") / "nlu"
LOCK_FILE = "lapor-editor.lock"


@dataclass(frozen=True)
class Author:
    username: str
    display_name: str

    @property
    def git(self) -> str:
        name = " ".join(self.display_name.replace("<", "").replace(">", "").split())
        return f"{name or self.username} <{self.username}@editor.lapor.invalid>"


@dataclass(frozen=True)
class Saved:
    """A save's outcome: the new commit, or the problems that kept it from being written."""

    commit: Optional[str]
    problems: List[checks.Problem]

    @property
    def ok(self) -> bool:
        return self.commit is not None and not self.problems


class DataRepo:
    def __init__(self, path: Path, min_examples: int = checks.MIN_EXAMPLES) -> None:
        self.path = path
        self.min_examples = min_examples
        self._cache: Tuple[str, Optional[NluData]] = ("", None)
        self._guard = threading.Lock()  # one save at a time within this process too

    @property
    def folder(self) -> Path:
        return self.path / NLU_FOLDER

    def heldout(self) -> List[Path]:
        """The held-out and outcome sets of this working copy: never copied into training."""
        folder = self.path / "tests" / "nlu"
        return sorted([*folder.glob("heldout*.yml"), *folder.glob("outcome_*.yml")])

    # -- reading ----------------------------------------------------------------

    def head(self) -> str:
        return self._git("rev-parse", "HEAD").strip()

    def data(self) -> NluData:
        """The examples as of the current commit, cached per commit: read only
        (every change goes through `save`, which loads its own copy under the lock)."""
        commit = self.head()
        cached_commit, cached = self._cache
        if cached is None or cached_commit != commit:
            cached = NluData.load(self.folder)
            self._cache = (commit, cached)
        return cached

    def history(self, limit: int = 20) -> List[Dict[str, str]]:
        """The newest commits that touched the training data."""
        out = self._git(
            "log", f"-{limit}", "--format=%H%x1f%an%x1f%aI%x1f%s", "--", str(NLU_FOLDER)
        )
        keys = ("commit", "author", "at", "message")
        rows = [line.split("\x1f") for line in out.splitlines() if line]
        return [dict(zip(keys, row, strict=False)) for row in rows]

    # -- writing ----------------------------------------------------------------

    def save(
        self,
        changes: Sequence[checks.Change],
        author: Author,
        message: str,
        expected: Sequence[Optional[str]] = (),
    ) -> Saved:
        """Validate and apply the changes together, then commit them as one.

        `expected[i]`, when given, is the annotated line the editor saw at
        changes[i]'s index: if someone else changed it meanwhile, nothing is written.
        """
        with self._locked():
            data = NluData.load(self.folder)
            for i, change in enumerate(changes):
                seen = expected[i] if i < len(expected) else None
                stale = _stale(data, change, seen)
                if stale:
                    return Saved(None, [stale])
                if change.kind == "add" and change.intent not in data.blocks:
                    return Saved(
                        None, [checks.Problem("not_found", f'Intent "{change.intent}" tidak ada.')]
                    )
                problems = checks.apply(data, change, self.heldout(), self.min_examples)
                if problems:
                    return Saved(None, problems)
            written = data.save()
            if not written:
                return Saved(self.head(), [])
            paths = [str(p.relative_to(self.path)) for p in written]
            self._git("add", "--", *paths)
            self._git(
                "-c", f"user.name={author.git.split(' <')[0]}",
                "-c", f"user.email={author.username}@editor.lapor.invalid",
                "commit", "--quiet", "--no-verify", f"--author={author.git}",
                "-m", message, "--", *paths,
            )  # fmt: skip
            return Saved(self.head(), [])

    async def save_async(
        self,
        changes: Sequence[checks.Change],
        author: Author,
        message: str,
        expected: Sequence[Optional[str]] = (),
    ) -> Saved:
        return await asyncio.to_thread(self.save, changes, author, message, expected)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path / ".git" / LOCK_FILE
        with self._guard, open(lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout


def _stale(data: NluData, change: checks.Change, seen: Optional[str]) -> Optional[checks.Problem]:
    if seen is None or change.index is None:
        return None
    current = data.examples(change.intent)
    if change.index < len(current) and current[change.index] == parse_example(seen):
        return None
    return checks.Problem(
        "stale",
        "Contoh ini sudah diubah orang lain sejak halaman dibuka. "
        "Muat ulang halaman, lalu ulangi perubahan Bapak/Ibu.",
    )

"""Rasa's training cache sees a change to our components' code or data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

from bot.components import fingerprint
from bot.components.emergency import EmergencyPriority
from bot.components.kelurahan import KelurahanExtractor
from bot.components.locations import LocationSpanMerger
from bot.components.tokenizer import IndonesianTokenizer
from tests.servers import base_env

# Run inside a copy of the project: each custom component's config (with its
# defaults, as Rasa merges them) and the cache key Rasa computes from it.
_CACHE_KEYS = """
import json
import bot.components
from rasa.engine.training.fingerprinting import calculate_fingerprint_key
from bot.components.emergency import EmergencyPriority
from bot.components.kelurahan import KelurahanExtractor
from bot.components.locations import LocationSpanMerger
from bot.components.tokenizer import IndonesianTokenizer

components = [IndonesianTokenizer, KelurahanExtractor, LocationSpanMerger, EmergencyPriority]
print(json.dumps({
    "imported_from": bot.components.__file__,
    "configs": {c.__name__: c.get_default_config() for c in components},
    "keys": {
        c.__name__: calculate_fingerprint_key(c, c.get_default_config(), {}) for c in components
    },
}))
"""


def test_every_custom_component_adds_our_code_to_its_cache_key() -> None:
    expected = fingerprint.code_fingerprint()
    for component in (
        IndonesianTokenizer,
        KelurahanExtractor,
        LocationSpanMerger,
        EmergencyPriority,
    ):
        assert component.fingerprint_addon({}) == expected


def test_the_fingerprint_covers_the_code_the_lexicon_and_the_gazetteer() -> None:
    names = {str(p.relative_to(fingerprint.REPO_ROOT)) for p in fingerprint.files()}
    assert {"bot/components/tokenizer.py", "data/lexicon/slang.yml", "lapor/normalize.py"} <= names
    assert any(name.startswith("data/gazetteer/") for name in names)


def test_a_changed_file_changes_the_fingerprint(tmp_path: Path) -> None:
    code = tmp_path / "bot" / "components" / "tokenizer.py"
    code.parent.mkdir(parents=True)
    code.write_text("VERSION = 1\n")
    before = fingerprint.digest(fingerprint.files(tmp_path, ["bot/components"]), tmp_path)
    code.write_text("VERSION = 2\n")
    after = fingerprint.digest(fingerprint.files(tmp_path, ["bot/components"]), tmp_path)
    assert before != after


def test_two_checkouts_give_every_custom_component_the_same_cache_key(tmp_path: Path) -> None:
    # RASA_CACHE_DIRECTORY is shared by every checkout on a machine: a key that
    # names the checkout (an absolute path, a file's mtime) makes a fresh clone
    # retrain everything from the tokenizer on.
    one = _cache_keys_in_copy(tmp_path / "one")
    two = _cache_keys_in_copy(tmp_path / "two")
    assert Path(one["imported_from"]).is_relative_to(tmp_path / "one")
    assert one["configs"] == two["configs"]
    assert one["keys"] == two["keys"]


def _cache_keys_in_copy(root: Path) -> Dict[str, Any]:
    for source in ("bot/__init__.py", "lapor", *fingerprint.SOURCES):
        original, copy = fingerprint.REPO_ROOT / source, root / source
        copy.parent.mkdir(parents=True, exist_ok=True)
        if original.is_dir():
            # shutil.copy, not copy2: the copies' mtimes differ, as in a fresh clone.
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(
                original, copy, ignore=ignore, copy_function=shutil.copy, dirs_exist_ok=True
            )
        else:
            shutil.copy(original, copy)
    result = subprocess.run(
        [sys.executable, "-c", _CACHE_KEYS],
        cwd=root,
        env=base_env(PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    keys: Dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return keys

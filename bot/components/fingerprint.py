"""What Rasa's training cache must know of our components: their code and data.

Rasa reuses a component's cached training output when its class name, config
and inputs are unchanged; it cannot see that our tokenizer's code, the slang
lexicon or the gazetteer changed. Every custom component adds this
fingerprint (`fingerprint_addon`), so a change to any of them retrains what
depends on it, and the cache can be shared by every checkout on a machine
(RASA_CACHE_DIRECTORY, scripts/env.sh). scripts/model-name.sh hashes the same
files for the model's name.

Rasa's key also holds each component's config with its defaults: a value that
names the checkout (an absolute path) splits the cache per checkout, so paths
here and in component configs are relative to the repo root
(tests/bot/test_fingerprint.py compares two copies of the project).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from lapor.paths import REPO_ROOT

SOURCES = (
    "bot/components",
    "data/lexicon",
    "data/gazetteer",
    "lapor/gazetteer.py",
    "lapor/wilayah.py",
    "lapor/normalize.py",
    "lapor/paths.py",
)

SUFFIXES = {".py", ".yml", ".geojson"}


def files(root: Path = REPO_ROOT, sources: Iterable[str] = SOURCES) -> list[Path]:
    found: list[Path] = []
    for source in sources:
        path = root / source
        candidates = path.rglob("*") if path.is_dir() else [path]
        found += [p for p in candidates if p.is_file() and p.suffix in SUFFIXES]
    return sorted(found)


def digest(paths: Iterable[Path], root: Path = REPO_ROOT) -> str:
    hashed = hashlib.sha256()
    for path in paths:
        hashed.update(str(path.relative_to(root)).encode())
        hashed.update(hashlib.sha256(path.read_bytes()).digest())
    return hashed.hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """One hash of our components' code and the data they read, per process."""
    return digest(files())

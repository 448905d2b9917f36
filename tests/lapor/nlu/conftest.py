"""Shared by the lapor.nlu tests: today's data/nlu and writable copies of it.

Anything that writes works on tmp_path copies: the real data/nlu is only read.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

import pytest

from lapor.nlu.files import NluData
from lapor.paths import DATA

NLU = DATA / "nlu"
PREFIX = "    - "


def example_files() -> List[Path]:
    return [path for path in sorted(NLU.glob("*.yml")) if path.name != "regex.yml"]


@pytest.fixture(scope="package")
def data() -> NluData:
    """Today's data, read-only (validate never changes it)."""
    return NluData.load(NLU)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A writable folder with two intents and the regex file."""
    for name in ("report_water.yml", "greet.yml", "regex.yml"):
        shutil.copy(NLU / name, tmp_path / name)
    return tmp_path

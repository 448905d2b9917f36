"""How long the city waits on a citizen's answer about their ticket
(data/deadlines.yml): the backend expires an unanswered closure check after
`closure_wait_days`, and the bot stops taking messages as the answer to a
staff question or a closure check once its wait is over (actions/session.py),
so a new complaint weeks later is not swallowed by an old question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import yaml

from lapor.paths import DEADLINES_FILE

DEFAULTS = {"closure_wait_days": 3, "question_wait_days": 7}


class WaitsError(ValueError):
    """A wait in deadlines.yml is not a whole number of days."""


@dataclass(frozen=True)
class Waits:
    closure: timedelta
    question: timedelta


def load(path: Path = DEADLINES_FILE) -> Waits:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    days = {key: raw.get(key, default) for key, default in DEFAULTS.items()}
    for key, value in days.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise WaitsError(f"{path}: {key} must be a whole number of days, ≥ 1")
    return Waits(
        closure=timedelta(days=days["closure_wait_days"]),
        question=timedelta(days=days["question_wait_days"]),
    )


@lru_cache(maxsize=1)
def default() -> Waits:
    """data/deadlines.yml's waits, read once per process."""
    return load()

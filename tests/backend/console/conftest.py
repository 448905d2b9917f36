"""Console route tests are about pages, not the hash: cheap Argon2 parameters
(the real cost, 0.1-0.9 s per hash on a loaded machine, would make them minutes
long). tests/backend/test_people.py keeps the real ones; so do the real servers."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from backend import people


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(people, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))

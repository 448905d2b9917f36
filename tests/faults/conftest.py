"""One stack of servers, with a proxy on every link, shared by all fault tests."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.fake_twilio import FakeTwilio
from tests.faults.stack import Stack

# Redis databases of the fault tests' own (tracker, lock store, channel state):
# other tests and `make soak` use others.
REDIS_DBS = (12, 13, 14)


@pytest.fixture(scope="package")
def stack(
    model: Path, twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    stack = Stack(model, twilio, tmp_path_factory.mktemp("fault-logs"), REDIS_DBS)
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture(autouse=True)
def healed(stack: Stack) -> Iterator[None]:
    """Each case starts and ends with every link up and Twilio answering."""
    stack.restore_all()
    yield
    stack.restore_all()

"""A real backend process answering the 112 number, for the call mix and its benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests import servers
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.fake_twilio import FakeTwilio
from tests.voice_line import server_env


@dataclass(frozen=True)
class VoiceBackend:
    url: str
    database_url: str


@pytest.fixture(scope="module")
def voice_backend(
    tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio
) -> Iterator[VoiceBackend]:
    logs: Path = tmp_path_factory.mktemp("voice-backend")
    database_url = _create_postgres_database()
    try:
        env = {**twilio.env(), **server_env()}
        with servers.backend(database_url, logs, extra_env=env) as backend:
            yield VoiceBackend(backend.url, database_url)
    finally:
        _drop_postgres_database(database_url)

"""bot/model_pull.py: a replica without a model (no fingerprint yet) still pulls one."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.core import agent as rasa_agent
from rasa.utils.endpoints import EndpointConfig

from bot import model_pull


async def test_the_first_pull_sends_an_empty_fingerprint_and_gets_the_model(
    tmp_path: Path,
) -> None:
    seen: List[Dict[str, str]] = []

    async def model(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response(body=b"\x1f\x8bmodel", headers={"ETag": "abc", "filename": "m.tar.gz"})

    app = web.Application()
    app.router.add_get("/model", model)
    model_pull.install()
    model_pull.install()  # idempotent: wrapped once
    async with TestServer(app) as server:
        endpoint = EndpointConfig(url=str(server.make_url("/model")))
        fingerprint = await rasa_agent._pull_model_and_fingerprint(endpoint, None, str(tmp_path))
    assert fingerprint == "abc"
    assert seen[0]["If-None-Match"] == ""
    assert (tmp_path / "m.tar.gz").read_bytes() == b"\x1f\x8bmodel"


def test_with_a_model_server_the_endpoints_name_it_and_rasa_reads_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.core.utils import read_endpoints_from_path

    from bot.__main__ import endpoints_file
    from bot.settings import BotSettings

    settings = BotSettings.load(
        model_server_url="http://backend:8000/editor/v1/model",
        model_pull_seconds=7,
        rasa_events_db=tmp_path / "events.sqlite3",
    )
    monkeypatch.setenv("EDITOR_TOKEN", "rahasia-token-model")
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://actions/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "x")
    monkeypatch.setenv("RASA_EVENTS_DB", str(tmp_path / "events.sqlite3"))
    path = endpoints_file(settings)
    assert "rahasia" not in path.read_text(encoding="utf-8")  # no secret on disk
    model = read_endpoints_from_path(path).model
    assert model is not None
    assert model.url == "http://backend:8000/editor/v1/model"
    assert model.headers == {"Authorization": "Bearer rahasia-token-model"}
    assert int(model.kwargs["wait_time_between_pulls"]) == 7
    plain = endpoints_file(BotSettings.load(model_server_url=""))
    assert read_endpoints_from_path(plain).model is None

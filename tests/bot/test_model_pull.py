"""bot/model_pull.py: a replica without a model (no fingerprint yet) still pulls one."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

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

"""The model loaded without a training step understands every message exactly as
the model loaded Rasa's way: the same intents, confidences and entities."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from rasa.core.agent import Agent, load_agent
from rasa.utils.tensorflow.models import RasaModel

from bot import model_load, patching

MESSAGES = [
    "lampu jalan di gang 3 Bandar Lor mati sejak kemarin",
    "lewati",
    "ya",
    "cek status laporan saya",
    "tolong ada kebakaran di jl dhoho",
    "bantuan sosial belum cair pak",
    "pdam mati 3 hari di mojoroto",
    "wit tumbang nang dalan semampir",
    "kdr 2026 12",
]


async def _understood(agent: Agent) -> List[Dict[str, Any]]:
    parsed = [await agent.parse_message(m) for m in MESSAGES]
    return [
        {
            "ranking": p["intent_ranking"],
            "entities": [
                (e["entity"], e["value"], e.get("confidence_entity")) for e in p["entities"]
            ],
        }
        for p in parsed
    ]


async def test_the_same_understanding_as_rasas_loading(model: Path) -> None:
    rasas = classmethod(patching.original(RasaModel, "load"))
    RasaModel.load = rasas  # type: ignore[method-assign,assignment]
    expected = await _understood(await load_agent(model_path=str(model)))
    model_load.install()
    try:
        assert RasaModel.__dict__["load"] is not rasas
        assert await _understood(await load_agent(model_path=str(model))) == expected
    finally:
        RasaModel.load = rasas  # type: ignore[method-assign,assignment]
    assert expected[0]["ranking"][0]["name"] == "report_street_light"

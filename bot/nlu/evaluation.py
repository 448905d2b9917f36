"""A model's figures on the held-out sets (tests/nlu/heldout*.yml of the same
commit as its training data): what the deploy gate compares."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Tuple

from ruamel.yaml import YAML

from lapor.nlu.examples import parse_example
from lapor.nlu.files import LINE_PREFIX
from lapor.nlu.scoring import Figures, model_figures

HELDOUT_GLOB = "heldout*.yml"


def heldout_sets(folder: Path) -> Dict[str, List[Tuple[str, str]]]:
    """Set name (file stem) -> (plain text, gold intent) of every example."""
    sets = {}
    for path in sorted(folder.glob(HELDOUT_GLOB)):
        document = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        rows = []
        for block in document.get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith(LINE_PREFIX):
                    rows.append((parse_example(line[len(LINE_PREFIX) :]).text, block["intent"]))
        sets[path.stem] = rows
    return sets


async def evaluate(model: Path, folder: Path) -> Figures:
    """Load the model once and parse every held-out message."""
    agent = _load(model)
    parsed: Dict[str, List[Tuple[str, str, Dict[str, Any]]]] = {}
    for name, rows in heldout_sets(folder).items():
        parsed[name] = [(text, gold, await agent.parse_message(text)) for text, gold in rows]
    return model_figures(parsed)


def _load(model: Path) -> Any:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs every parse at debug level
    return Agent.load(str(model))

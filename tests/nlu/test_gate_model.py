"""`make test` puts the model it trains through the editors' deploy gate
(lapor/nlu/gate.py, `python -m bot nlu evaluate --gate`): CI fails when
emergency recall on the held-out sets falls below the floor."""

from __future__ import annotations

import re

from lapor.nlu import gate
from lapor.paths import REPO_ROOT
from tests.conftest import GatedModel


def test_the_trained_model_passes_the_deploy_gate(gated_model: GatedModel) -> None:
    print(gated_model.output[-2000:])  # the figures, in the test log
    assert gated_model.returncode == 0, gated_model.output[-3000:]
    overall = gated_model.figures["overall"]
    assert overall["emergency_recall"] >= gate.DEFAULT_EMERGENCY_RECALL
    assert set(gated_model.figures["sets"]) == {"heldout", "heldout_b", "heldout_c"}
    assert overall["examples"] == sum(s["examples"] for s in gated_model.figures["sets"].values())


def test_the_quick_test_config_differs_from_the_bot_config_only_in_epochs() -> None:
    def settings(path: str) -> str:
        lines = (REPO_ROOT / path).read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        return re.sub(r"epochs: \d+", "epochs: N", "\n".join(kept))

    assert settings("tests/nlu/quick_config.yml") == settings("bot/config.yml")

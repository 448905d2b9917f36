"""Put emergencies first when the model is unsure.

Missing an emergency costs far more than a false alarm (a false alarm costs
the citizen one extra message with the 112 number). So when the emergency
intents together hold at least `threshold` of the probability, the message
is treated as the most likely emergency, even if a complaint intent or the
fallback ranked first. The threshold is set from that cost argument, not
fitted to any test set.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.components.base import MessageProcessor

PREFIX = "emergency_"
# Unsure messages that are no real request at all stay with the model.
NEVER_OVERRIDE = frozenset({"prank"})


def prioritise(
    intent: Dict[str, Any], ranking: List[Dict[str, Any]], threshold: float
) -> tuple[Dict[str, Any], List[Dict[str, Any]], bool]:
    """(intent, ranking, changed) with an unsure emergency moved to the top."""
    # Rasa's classifiers write {"name": None, ...} when they have nothing to go on.
    name = intent.get("name") or ""
    if name.startswith(PREFIX) or name in NEVER_OVERRIDE:
        return intent, ranking, False
    emergencies = [r for r in ranking if r["name"].startswith(PREFIX)]
    mass = sum(r["confidence"] for r in emergencies)
    if not emergencies or mass < threshold:
        return intent, ranking, False
    best = max(emergencies, key=lambda r: r["confidence"])
    # Softmax confidences may sum past 1 in floating point; a confidence may not.
    chosen = {"name": best["name"], "confidence": min(mass, 1.0)}
    rest = [r for r in ranking if r["name"] != best["name"]]
    return chosen, [chosen, *rest], True


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyPriority(MessageProcessor):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.35}

    def process_message(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        ranking = message.get(INTENT_RANKING_KEY) or []
        chosen, reranked, changed = prioritise(intent, ranking, float(self._config["threshold"]))
        if changed:
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, reranked, add_to_output=True)
            message.set("emergency_priority", True, add_to_output=True)

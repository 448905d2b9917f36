"""Join location spans that the model split at punctuation.

"jl. veteran" is tagged by DIET as two spans ("jl", "veteran") because the
dot is not a token; the citizen wrote one place, so it becomes one entity.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.base import MessageProcessor

ENTITY = "location"
# What may stand between two pieces of one place: spaces, dots, slashes, dashes.
_JOINABLE_GAP = re.compile(r"^[\s./\-]*$")


def merge_locations(text: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    ordered = sorted(entities, key=lambda e: e["start"])
    merged: List[Dict[str, Any]] = []
    for entity in ordered:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous["entity"] == entity["entity"] == ENTITY
            and _JOINABLE_GAP.match(text[previous["end"] : entity["start"]])
        ):
            previous["end"] = entity["end"]
            previous["value"] = text[previous["start"] : entity["end"]]
            previous["confidence_entity"] = min(
                previous.get("confidence_entity", 1.0), entity.get("confidence_entity", 1.0)
            )
            continue
        merged.append(dict(entity))
    return merged


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LocationSpanMerger(MessageProcessor):
    def process_message(self, message: Message) -> None:
        entities = message.get(ENTITIES) or []
        if sum(e["entity"] == ENTITY for e in entities) > 1:
            text = message.get(TEXT) or ""
            message.set(ENTITIES, merge_locations(text, entities), add_to_output=True)

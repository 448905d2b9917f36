"""Location spans as the labelling rule has them (docs/nlu.md).

"jl. veteran" is tagged by DIET as two spans ("jl", "veteran") because the
dot is not a token; the citizen wrote one place, so it becomes one entity.
And a span the model drew one word too wide is trimmed to the rule: the
preposition before a place ("di", "nang", "sekitar") and a trailing "kel." or
punctuation are not part of it.
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
# Not part of a place (docs/nlu.md): the preposition before it, "kel." after it.
_LEADING = re.compile(
    r"^(?:(?:di|ke|dari|ndek|nang|neng|ning|ing|wonten|sekitar|sepanjang)\b[\s.,]*)+",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"(?:[\s,.;:!?]+|\s+(?:kel|kelurahan|desa|ds|kec|kecamatan)\b\.?)+$", re.IGNORECASE
)


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


def trim_locations(text: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each location span without a leading preposition or trailing "kel." and
    punctuation; a span that was nothing else is dropped."""
    trimmed: List[Dict[str, Any]] = []
    for entity in entities:
        if entity["entity"] != ENTITY:
            trimmed.append(entity)
            continue
        piece = text[entity["start"] : entity["end"]]
        lead = _LEADING.match(piece)
        start = entity["start"] + (lead.end() if lead else 0)
        tail = _TRAILING.search(text[start : entity["end"]])
        end = start + tail.start() if tail else entity["end"]
        if start < end:
            trimmed.append({**entity, "start": start, "end": end, "value": text[start:end]})
    return trimmed


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LocationSpanMerger(MessageProcessor):
    def process_message(self, message: Message) -> None:
        entities = message.get(ENTITIES) or []
        if any(e["entity"] == ENTITY for e in entities):
            text = message.get(TEXT) or ""
            placed = trim_locations(text, merge_locations(text, entities))
            message.set(ENTITIES, placed, add_to_output=True)

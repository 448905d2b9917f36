"""Rasa entity extractor for Kota Kediri's kelurahan (canonical names).

Runs after DIET: DIET's own `kelurahan` spans become hints (they let a name
that is also an ordinary word through) and are replaced by this component's
canonical entities, so `value` is always one of the 46 official names.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Set, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.base import MessageProcessor
from lapor.gazetteer import Gazetteer, Word

ENTITY = "kelurahan"
COMMON_WORDS_FILE = "common_words.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class KelurahanExtractor(MessageProcessor, EntityExtractorMixin):
    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, common_words: Set[str]
    ) -> None:
        super().__init__({})
        self._model_storage = model_storage
        self._resource = resource
        self._common_words = common_words
        self._gazetteer = Gazetteer(common_words=common_words)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KelurahanExtractor":
        return cls(model_storage, resource, set())

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "KelurahanExtractor":
        try:
            with model_storage.read_from(resource) as directory:
                words = set(json.loads((directory / COMMON_WORDS_FILE).read_text("utf-8")))
        except (ValueError, FileNotFoundError):
            words = set()
        return cls(model_storage, resource, words)

    def train(self, training_data: TrainingData) -> Resource:
        """Remember the ordinary words of the training text (outside kelurahan spans)."""
        words: Set[str] = set()
        for example in training_data.nlu_examples:
            spans = [
                (e["start"], e["end"]) for e in example.get(ENTITIES, []) if e["entity"] == ENTITY
            ]
            for token in example.get(TOKENS_NAMES[TEXT], []):
                if not any(start <= token.start < end for start, end in spans):
                    words.add(token.text.lower())
        with self._model_storage.write_to(self._resource) as directory:
            (directory / COMMON_WORDS_FILE).write_text(json.dumps(sorted(words)), "utf-8")
        self._common_words = words
        self._gazetteer = Gazetteer(common_words=words)
        return self._resource

    def process_message(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if not tokens:
            return
        entities = message.get(ENTITIES, [])
        hints: Set[Tuple[int, int]] = {
            (e["start"], e["end"]) for e in entities if e["entity"] == ENTITY
        }
        words = [Word(t.text, t.start, t.end) for t in tokens]
        matches = self._gazetteer.find(words, hints=hints)
        kept = [e for e in entities if e["entity"] != ENTITY]
        found = [
            {
                "entity": ENTITY,
                "start": m.start,
                "end": m.end,
                "value": m.name,
                "confidence_entity": 1.0 if m.distance == 0 else 0.8,
                "extractor": self.__class__.__name__,
                "processors": [],
                "kelurahan_code": m.code,
            }
            for m in matches
        ]
        # A kelurahan inside a named facility ("puskesmas Sukorame") is part of its
        # name (docs/nlu.md); the bot still reads the kelurahan from the facility.
        facilities = [e for e in kept if e["entity"] == "facility"]
        found = [f for f in found if not any(_within(f, e) for e in facilities)]
        # A DIET location span that is exactly a kelurahan is the kelurahan.
        kept = [e for e in kept if not _same_span(e, found)]
        message.set(ENTITIES, sorted(kept + found, key=lambda e: e["start"]), add_to_output=True)


def _same_span(entity: Dict[str, Any], found: List[Dict[str, Any]]) -> bool:
    return any(entity["start"] == f["start"] and entity["end"] == f["end"] for f in found)


def _within(inner: Dict[str, Any], outer: Dict[str, Any]) -> bool:
    return bool(outer["start"] <= inner["start"] and inner["end"] <= outer["end"])

"""spaCy's Indonesian tokenizer with chat-text normalisation in the lemma.

The citizen's text is never rewritten (entity offsets stay true to what was
typed); each token's lemma carries the normalised word, which the count
vectorizers use (`use_lemma`, on by default).
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Text

import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.components.fingerprint import code_fingerprint
from lapor.normalize import load_lexicon, normalize_word
from lapor.paths import REPO_ROOT, SLANG_LEXICON

# spaCy keeps "kel.bandarlor" or "rt.02/rw.05" as one token; people type them
# without spaces, and the kelurahan inside must be a token of its own.
_GLUED = re.compile(r"[^\W_]+(?:'[^\W_]+)?|[^\w\s']")
_DROPPED = frozenset(string.punctuation) - {"?", "!"}
_NEEDS_SPLIT = re.compile(r"\w[./,:;()]+\w")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class IndonesianTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # Relative to the repo root, never absolute: Rasa's training cache key
            # includes this config, and the cache is shared by every checkout.
            "lexicon": str(SLANG_LEXICON.relative_to(REPO_ROOT)),
            "normalize": True,
            # The lemma is also stemmed (Sastrawi: "dipotong", "pemotongan" ->
            # "potong"): complaints written in roots, as in LAPOR!'s corpus, and
            # in full words then share their features. Chosen by cross-validation.
            "stem": False,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        # A blank pipeline ships inside the spaCy package: nothing to download.
        self._nlp = spacy.blank("id")
        self._lexicon = load_lexicon(REPO_ROOT / config["lexicon"]) if config["normalize"] else {}
        self._stem = _stemmer() if config.get("stem") else None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "IndonesianTokenizer":
        return cls(config)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The tokens (and the lemmas the featurizers learn from) come from our
        # code and lexicon: Rasa's training cache must see them change.
        return code_fingerprint()

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text: Optional[str] = message.get(attribute)
        if not text:
            return []
        tokens = [
            Token(word, start, lemma=self._lemma(word))
            for t in self._nlp.make_doc(text)
            if not t.is_space
            for word, start in _split_glued(t.text, t.idx)
            # Lone punctuation carries nothing, but "?", "!" and emoji do.
            if word not in _DROPPED
        ]
        return self._apply_token_pattern(tokens)

    def _lemma(self, word: str) -> str:
        normal = normalize_word(word, self._lexicon) if self._lexicon else word.lower()
        if self._stem is None or not normal.isalpha():
            return normal
        # Sastrawi drops what is not a letter; an emptied word keeps its form.
        return self._stem(normal) or normal


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[str], str]:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stem: Callable[[str], str] = lru_cache(maxsize=65536)(StemmerFactory().create_stemmer().stem)
    return stem


def _split_glued(text: str, start: int) -> List[tuple[str, int]]:
    if not _NEEDS_SPLIT.search(text) or text.replace(".", "").replace(",", "").isdigit():
        return [(text, start)]
    return [(m.group(), start + m.start()) for m in _GLUED.finditer(text)]

"""Word normalisation for informal Indonesian and Javanese chat text."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict

import yaml

from lapor.paths import SLANG_LEXICON

# "tolonggg", "apiii": three or more of a letter is emphasis, not spelling.
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
# "2" after a word marks reduplication in chat ("anak2" = "anak-anak").
_REDUPLICATION = re.compile(r"^([a-z]{2,})2$")


@lru_cache(maxsize=4)
def load_lexicon(path: Path = SLANG_LEXICON) -> Dict[str, str]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k).lower(): str(v).lower() for k, v in raw.items()}


def normalize_word(word: str, lexicon: Dict[str, str]) -> str:
    lowered = _REPEATS.sub(r"\1", word.lower())
    reduplicated = _REDUPLICATION.match(lowered)
    if reduplicated:
        lowered = reduplicated.group(1)
    return lexicon.get(lowered, lowered)

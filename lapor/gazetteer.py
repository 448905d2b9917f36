"""Find Kota Kediri kelurahan names in chat text, whatever the spelling.

Pure Python (no Rasa), so it is unit-tested directly and reused by the
actions to resolve a typed place. Matching works on tokens:
1. one to three consecutive tokens, folded (lower case, letters and digits
   only), are compared with every name and variant;
2. long names also match with one (9+ letters: two) typos, unless the word is
   an ordinary word (from the lexicon, or seen in training text outside a
   kelurahan annotation);
3. names that are also ordinary words need context (see kelurahan.yml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Collection, Dict, FrozenSet, List, Optional, Sequence, Tuple

import yaml

from lapor.paths import KELURAHAN_RULES
from lapor.wilayah import Wilayah, default_wilayah

MAX_TOKENS = 3


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Match:
    name: str  # canonical, e.g. "Bandar Lor"
    code: str  # Kemendagri code
    start: int
    end: int
    text: str
    distance: int


@dataclass(frozen=True)
class Rules:
    variants: Dict[str, str]  # folded spelling -> canonical name
    ambiguous: FrozenSet[str]
    kecamatan: FrozenSet[str]
    strong_cues: FrozenSet[str]
    weak_cues: FrozenSet[str]
    followers: FrozenSet[str]
    leaders: FrozenSet[str]
    place_words: FrozenSet[str]
    not_names: FrozenSet[str]


def fold(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@lru_cache(maxsize=4)
def load_rules(path: Path = KELURAHAN_RULES, wilayah: Optional[Wilayah] = None) -> Rules:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    areas = (wilayah or default_wilayah()).kelurahan
    variants = {fold(a.name): a.name for a in areas}
    known = {a.name for a in areas}
    for name, spellings in (raw.get("variants") or {}).items():
        if name not in known:
            raise ValueError(f"{path}: variants: {name!r} is not a kelurahan")
        variants.update({fold(s): name for s in spellings})

    def words(key: str) -> FrozenSet[str]:
        return frozenset(str(w).lower() for w in raw.get(key) or ())

    return Rules(
        variants=variants,
        ambiguous=frozenset(raw.get("ambiguous") or ()),
        kecamatan=frozenset(raw.get("kecamatan") or ()),
        strong_cues=words("strong_cues"),
        weak_cues=words("weak_cues"),
        followers=words("followers"),
        leaders=words("leaders"),
        place_words=words("place_words"),
        not_names=words("not_names"),
    )


class Gazetteer:
    def __init__(
        self,
        rules: Optional[Rules] = None,
        wilayah: Optional[Wilayah] = None,
        common_words: Collection[str] = (),
    ) -> None:
        self.wilayah = wilayah or default_wilayah()
        self.rules = rules or load_rules()
        # Ordinary words never count as a misspelt name.
        self.common_words = frozenset(fold(w) for w in common_words) | self.rules.not_names

    def find(
        self,
        words: Sequence[Word],
        hints: Collection[Tuple[int, int]] = (),
        expect_kelurahan: bool = False,
    ) -> List[Match]:
        """Kelurahan mentions in the words.

        `hints` are spans a model already tagged as a kelurahan;
        `expect_kelurahan` treats every span so (the answer to "which kelurahan?").
        """
        matches: List[Match] = []
        i = 0
        while i < len(words):
            found = self._longest_at(words, i, hints, expect_kelurahan)
            if found:
                match, length = found
                matches.append(match)
                i += length
            else:
                i += 1
        return matches

    def _longest_at(
        self,
        words: Sequence[Word],
        i: int,
        hints: Collection[Tuple[int, int]],
        expect_kelurahan: bool,
    ) -> Optional[Tuple[Match, int]]:
        for length in range(min(MAX_TOKENS, len(words) - i), 0, -1):
            span = words[i : i + length]
            if not all(fold(w.text) for w in span):
                continue
            key = fold("".join(w.text for w in span))
            hinted = expect_kelurahan or (span[0].start, span[-1].end) in hints
            closest = self._lookup(key, hinted)
            if closest is None:
                continue
            name, distance = closest
            if not self._in_context(name, words, i, i + length, hinted, expect_kelurahan):
                continue
            area = self.wilayah.by_name(name)
            assert area is not None  # variants only hold real kelurahan names
            text = " ".join(w.text for w in span)
            return Match(name, area.code, span[0].start, span[-1].end, text, distance), length
        return None

    def _lookup(self, key: str, hinted: bool) -> Optional[Tuple[str, int]]:
        exact = self.rules.variants.get(key)
        if exact:
            return exact, 0
        if key in self.common_words or not key.isalpha():
            return None
        budget = 2 if hinted else (2 if len(key) >= 9 else 1 if len(key) >= 7 else 0)
        closest = self._closest(key, budget)
        if closest and closest[0] in self.rules.ambiguous:
            return None  # "bawang"-like names must be spelt right
        return closest

    def _closest(self, key: str, budget: int) -> Optional[Tuple[str, int]]:
        if budget <= 0 or len(key) < 4:
            return None
        best: Optional[Tuple[str, int]] = None
        for spelling, name in self.rules.variants.items():
            if spelling[0] != key[0] or abs(len(spelling) - len(key)) > budget:
                continue
            distance = edit_distance(key, spelling, budget)
            if distance <= budget and (best is None or distance < best[1]):
                best = (name, distance)
        return best

    def _in_context(
        self,
        name: str,
        words: Sequence[Word],
        start: int,
        end: int,
        hinted: bool,
        hints_trusted: bool,
    ) -> bool:
        before = words[start - 1].text.lower().rstrip(".") if start > 0 else ""
        after = words[end].text.lower() if end < len(words) else ""
        if name in self.rules.kecamatan and before in ("kecamatan", "kec"):
            return False  # the district, not the kelurahan
        if name not in self.rules.ambiguous:
            return True
        if before in self.rules.strong_cues or (hinted and hints_trusted):
            return True
        # A model's guess is not enough for a name that is also an ordinary
        # word ("bawang merah"): only the words around it decide.
        if before in self.rules.leaders:
            return False
        if after in self.rules.followers:
            return False
        if before in self.rules.weak_cues or before in self.rules.place_words or before.isdigit():
            return True
        return _proper_noun(words, start)


def _proper_noun(words: Sequence[Word], index: int) -> bool:
    """'... lewat Bawang': capitalised mid-sentence in a message not in capitals."""
    word = words[index].text
    shouting = sum(w.text.isupper() for w in words) > len(words) / 2
    sentence_start = index == 0 or words[index - 1].text in (".", "!", "?")
    return word[:1].isupper() and not word.isupper() and not shouting and not sentence_start


def edit_distance(a: str, b: str, budget: int) -> int:
    """Optimal string alignment distance (a swap of neighbours costs 1).

    Stops early once every path costs more than `budget`.
    """
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > budget:
            return budget + 1
        previous2, previous = previous, current
    return previous[-1]

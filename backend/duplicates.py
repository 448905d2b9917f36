"""Possible duplicates of a new ticket among the open ones ("kemungkinan duplikat").

Pure logic, no database: the caller loads the open tickets of the category near
the new one and asks `candidates()`; staff decide whether to merge. A pair is a
candidate when the category is the same, the points are close, the times are
close, the texts share words (after slang normalisation, lapor.normalize) and
the texts do not name different problems ("pohon tumbang" vs "perlu
dipangkas"). Every threshold is data (data/duplicates/rules.yml) and was
measured on a labelled set (data/duplicates/*.yml, `make eval-duplicates`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set

import yaml

from lapor.normalize import load_lexicon, normalize_word
from lapor.paths import DATA

RULES_FILE = DATA / "duplicates" / "rules.yml"
EARTH_RADIUS_M = 6_371_000.0
# Weights of the ranking score: the text says most about "the same problem";
# among equally similar texts, the nearer and more recent ticket is the likelier.
TEXT_WEIGHT, PLACE_WEIGHT, TIME_WEIGHT = 0.6, 0.25, 0.15
_WORD = re.compile(r"[^\W_]+")
# "lampunya", "dalane": possessive endings that the lexicon does not list.
_SUFFIXES = ("nya", "ne")
_KIND_PREFIX = "~"  # kind tokens never collide with a written word


@dataclass(frozen=True)
class Candidate:
    service_request_id: str
    service_code: str
    description: str
    lat: float
    long: float
    requested_at: datetime
    status: str = "diterima"


@dataclass(frozen=True)
class Match:
    ticket: Candidate  # the existing ticket the new one may duplicate
    distance_m: float
    days_apart: float
    similarity: float
    score: float  # 0..1, for ranking


@dataclass(frozen=True)
class Rules:
    max_distance_m: float
    max_distance_m_by_service: Mapping[str, float]
    window_days: float
    min_similarity: float
    problems: Mapping[str, Mapping[str, FrozenSet[str]]]  # service -> kind -> words
    stopwords: FrozenSet[str]

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> Rules:
        raw: Dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            max_distance_m=float(raw["max_distance_m"]),
            max_distance_m_by_service={
                str(k): float(v) for k, v in (raw.get("max_distance_m_by_service") or {}).items()
            },
            window_days=float(raw["window_days"]),
            min_similarity=float(raw["min_similarity"]),
            problems={
                str(service): {str(kind): _words(words) for kind, words in kinds.items()}
                for service, kinds in (raw.get("problems") or {}).items()
            },
            stopwords=_words(raw.get("stopwords") or ()),
        )

    def max_distance(self, service_code: str) -> float:
        return self.max_distance_m_by_service.get(service_code, self.max_distance_m)


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """data/duplicates/rules.yml, read once per process."""
    return Rules.load()


def _words(values: Sequence[Any]) -> FrozenSet[str]:
    return frozenset(str(v).lower() for v in values)


def haversine_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(long2 - long1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def words(text: str) -> List[str]:
    """The text's words, lower case, slang normalised, possessive endings cut."""
    lexicon = load_lexicon()
    return [_stem(normalize_word(w, lexicon)) for w in _WORD.findall(text)]


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def kinds(tokens: Sequence[str], service_code: str, rules: Rules) -> FrozenSet[str]:
    table = rules.problems.get(service_code, {})
    return frozenset(kind for kind, vocab in table.items() if vocab.intersection(tokens))


def content(tokens: Sequence[str], service_code: str, rules: Rules) -> FrozenSet[str]:
    """Meaningful words, with every problem word replaced by its kind."""
    table = rules.problems.get(service_code, {})
    out: Set[str] = set()
    for token in tokens:
        if token in rules.stopwords or len(token) < 2:
            continue
        kind = next((k for k, vocab in table.items() if token in vocab), None)
        out.add(_KIND_PREFIX + kind if kind else token)
    return frozenset(out)


def similarity(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    """The better of word-set Dice and character-trigram Jaccard (which forgives typos)."""
    if not a or not b:
        return 0.0
    dice = 2 * len(a & b) / (len(a) + len(b))
    return max(dice, _jaccard(_trigrams(a), _trigrams(b)))


def _trigrams(tokens: FrozenSet[str]) -> FrozenSet[str]:
    grams: Set[str] = set()
    for token in tokens:
        padded = f" {token} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def _jaccard(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def score(a: Candidate, b: Candidate, rules: Rules) -> Optional[Match]:
    """`b` as a possible duplicate of `a`, or None when it is not one."""
    if a.service_code != b.service_code:
        return None
    limit = rules.max_distance(a.service_code)
    distance = haversine_m(a.lat, a.long, b.lat, b.long)
    days = abs((a.requested_at - b.requested_at).total_seconds()) / 86_400
    if distance > limit or days > rules.window_days:
        return None
    tokens_a, tokens_b = words(a.description), words(b.description)
    kinds_a = kinds(tokens_a, a.service_code, rules)
    kinds_b = kinds(tokens_b, a.service_code, rules)
    if kinds_a and kinds_b and not kinds_a & kinds_b:
        return None  # both say what is wrong, and it is not the same thing
    text = similarity(
        content(tokens_a, a.service_code, rules), content(tokens_b, a.service_code, rules)
    )
    if text < rules.min_similarity:
        return None
    rank = (
        TEXT_WEIGHT * text
        + PLACE_WEIGHT * (1 - distance / limit)
        + TIME_WEIGHT * (1 - days / rules.window_days)
    )
    return Match(ticket=b, distance_m=distance, days_apart=days, similarity=text, score=rank)


def candidates(new: Candidate, open_tickets: Sequence[Candidate], rules: Rules) -> List[Match]:
    """The open tickets `new` may duplicate, best first (itself excluded)."""
    matches = [
        match
        for ticket in open_tickets
        if ticket.service_request_id != new.service_request_id
        and (match := score(new, ticket, rules)) is not None
    ]
    return sorted(matches, key=lambda m: m.score, reverse=True)

"""Schools and health facilities recognised by name (data/places/facilities.yml).

"smpn4", "SMP N 4" and "smp negeri 4 kediri" are one school; matching works on
word sequences, so "smpn 1" never matches inside "smpn 10".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, List, Optional, Tuple

import yaml

from lapor.paths import DATA

FACILITIES_FILE = DATA / "places" / "facilities.yml"
KINDS = ("school", "health")
_TOKENS = re.compile(r"[a-z]+|\d+")
# "smp negeri", "smp n" -> "smpn": the ways a state school is written.
_STATE = re.compile(r"\b(sd|smp|sma|smk)\s*(?:negeri|neg|n)\b\.?")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}


@dataclass(frozen=True)
class Facility:
    name: str
    kind: str
    kelurahan: Optional[str] = None
    keys: Tuple[Tuple[str, ...], ...] = ()


def tokens(text: str) -> Tuple[str, ...]:
    """Lower-case words and numbers; letters and digits written together split."""
    folded = _STATE.sub(lambda m: f"{m.group(1)}n", text.lower())
    return tuple(_ROMAN.get(t, t) for t in _TOKENS.findall(folded))


def contains(words: Tuple[str, ...], key: Tuple[str, ...]) -> bool:
    """Whether `key` occurs in `words` as a run of whole words."""
    n = len(key)
    return any(words[i : i + n] == key for i in range(len(words) - n + 1))


class Facilities:
    def __init__(self, entries: List[Facility]) -> None:
        # Longest names first: "puskesmas pesantren 2" before "pesantren".
        self._keys = sorted(
            ((key, f) for f in entries for key in f.keys), key=lambda kf: -len(kf[0])
        )

    def find(self, text: str, kind: Optional[str] = None) -> Optional[Facility]:
        """The listed facility the text names, if any (of the given kind)."""
        words = tokens(text)
        for key, facility in self._keys:
            if (kind is None or facility.kind == kind) and contains(words, key):
                return facility
        return None


def load_facilities(path: Path = FACILITIES_FILE) -> Facilities:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = [_entry(item, f"{path}: facilities[{i}]") for i, item in enumerate(raw["facilities"])]
    return Facilities(entries)


def _entry(item: Any, where: str) -> Facility:
    if not isinstance(item, dict) or not item.get("name") or item.get("kind") not in KINDS:
        raise ValueError(f"{where}: needs a name and a kind ({', '.join(KINDS)})")
    name = str(item["name"]).strip()
    names = [name, *(str(a) for a in item.get("aliases") or ())]
    return Facility(
        name=name,
        kind=str(item["kind"]),
        kelurahan=str(item["kelurahan"]) if item.get("kelurahan") else None,
        keys=tuple(t for t in (tokens(n) for n in names) if t),
    )


@lru_cache(maxsize=1)
def default_facilities() -> Facilities:
    return load_facilities()

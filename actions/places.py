"""Where a report is: entities, typed text or a shared pin, resolved to a kelurahan."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from lapor.facilities import default_facilities
from lapor.gazetteer import Gazetteer, Word
from lapor.wilayah import Area, default_wilayah

_WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# Words a model sometimes tags as a location that name no place on their own.
GENERIC_PLACES = {"jalan", "jln", "jl", "gang", "gg", "lokasi", "sini", "situ", "sana", "rumah"}


@dataclass(frozen=True)
class Place:
    location: Optional[str] = None  # the citizen's own words
    kelurahan: Optional[str] = None
    kelurahan_code: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None

    def slots(self) -> Dict[str, Any]:
        return {
            "location": self.location or self.kelurahan,
            "kelurahan": self.kelurahan,
            "kelurahan_code": self.kelurahan_code,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()


def pin_of(tracker: Tracker) -> Optional[tuple[float, float]]:
    """A shared location: entities of /share_location or the channel's metadata."""
    metadata = ((tracker.latest_message or {}).get("metadata") or {}).get("location") or {}
    lat = next(tracker.get_latest_entity_values("latitude"), metadata.get("latitude"))
    lon = next(tracker.get_latest_entity_values("longitude"), metadata.get("longitude"))
    try:
        return (float(lat), float(lon)) if lat is not None and lon is not None else None
    except (TypeError, ValueError):
        return None


def locate_pin(lat: float, lon: float) -> Optional[Area]:
    return default_wilayah().locate(lat, lon)


def from_entities(tracker: Tracker) -> Optional[Place]:
    """The place a message names: its first location (else a named facility),
    with its RT/RW, and its kelurahan. Only the first: "gang 3 ... tiang nomor
    17" once became "gang 3 17", two far-apart pieces glued into no address.
    Pieces of one place that the model split are joined by the NLU already
    (bot/components/locations.py)."""
    where = _first_place(tracker) or _first(tracker, "facility")
    rt_rw = _first(tracker, "rt_rw")
    if rt_rw and not (where and _folded(rt_rw) in _folded(where)):
        where = f"{where}, {rt_rw}" if where else rt_rw
    kelurahan = _first(tracker, "kelurahan")
    if not where and kelurahan is None:
        return None
    if kelurahan is None and where:
        # "puskesmas Sukorame" is one facility (docs/nlu.md), and names its kelurahan;
        # and "bangsal rt 02 rw 05" names one the model did not tag.
        kelurahan = _kelurahan_in(where) or _kelurahan_in(tracker.latest_message.get("text") or "")
    return _place(where, kelurahan)


def facility(text: str, kind: str) -> Optional[Place]:
    """A school or health facility on the shipped list, by its exact name,
    with its kelurahan (listed, or read from the name)."""
    found = default_facilities().find(text, kind)
    if found is None:
        return None
    return _place(found.name, found.kelurahan or _kelurahan_in(found.name))


def _kelurahan_in(text: str, expected: bool = False) -> Optional[str]:
    words = [Word(m.group(), m.start(), m.end()) for m in _WORDS.finditer(text)]
    matches = gazetteer().find(words, expect_kelurahan=expected)
    return matches[0].name if matches else None


def with_kelurahan(place: Place, answer: str) -> Place:
    """An answer to "which kelurahan?": a name there is one ("bangsal rt 02"),
    even one that is also a common word."""
    if place.kelurahan or not answer:
        return place
    found = _place(place.location, _kelurahan_in(answer, expected=True))
    return Place(
        found.location, found.kelurahan, found.kelurahan_code, place.latitude, place.longitude
    )


def _first_place(tracker: Tracker) -> Optional[str]:
    """The first location that names a place: a bare "jalan" or "rumah" that the
    model tagged before "jl. kawi" says nothing about where."""
    found = [v.strip() for v in entity_values(tracker, "location") if v.strip()]
    named = [v for v in found if _folded(v) not in GENERIC_PLACES]
    chosen = named or found
    return chosen[0] if chosen else None


def _first(tracker: Tracker, entity: str) -> Optional[str]:
    value = next(tracker.get_latest_entity_values(entity), None)
    return str(value).strip() or None if value is not None else None


def from_text(text: str) -> Place:
    """A typed answer to "where?": the whole text, with any kelurahan in it."""
    words = [Word(m.group(), m.start(), m.end()) for m in _WORDS.finditer(text)]
    matches = gazetteer().find(words)
    if not matches and len(words) <= 3:
        # A bare answer like "bandarlot" to "which kelurahan?" is a kelurahan.
        matches = gazetteer().find(words, expect_kelurahan=True)
    return _place(text.strip(), matches[0].name if matches else None)


def _place(location: Optional[str], kelurahan_name: Optional[str]) -> Place:
    area = default_wilayah().by_name(kelurahan_name) if kelurahan_name else None
    return Place(
        location=location,
        kelurahan=area.name if area else None,
        kelurahan_code=area.code if area else None,
    )


def entity_values(tracker: Tracker, entity: str) -> List[str]:
    entities = (tracker.latest_message or {}).get("entities") or []
    return [str(e["value"]) for e in entities if e.get("entity") == entity]


def describe(location: Optional[str], kelurahan: Optional[str]) -> str:
    """'gang 3, Kel. Bandar Lor'; the kelurahan is not repeated if already written."""
    parts = [location] if location else []
    if kelurahan and not (location and _folded(kelurahan) in _folded(location)):
        parts.append(f"Kel. {kelurahan}")
    return ", ".join(parts)


def _folded(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())

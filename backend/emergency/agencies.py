"""Dispatch targets per emergency type, from data/agencies.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import yaml

from lapor.paths import AGENCIES_FILE


class AgenciesError(ValueError):
    """agencies.yml is not valid; the message names the entry at fault."""


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    phone: Optional[str]


@dataclass(frozen=True)
class EmergencyType:
    code: str  # the bot's intent, e.g. emergency_fire
    label: str
    lead: Agency
    support: Tuple[Agency, ...]

    @property
    def agencies(self) -> Tuple[Agency, ...]:
        return (self.lead, *self.support)


@dataclass(frozen=True)
class Directory:
    agencies: Dict[str, Agency]
    types: Dict[str, EmergencyType]

    def type_of(self, code: str) -> EmergencyType:
        """The type, or a neutral one for a code the file does not know (never fails an alert)."""
        known = self.types.get(code)
        if known:
            return known
        return EmergencyType(code, "Darurat", _first(self.agencies), ())

    def label(self, code: str) -> str:
        return self.type_of(code).label

    def ordered_for(self, code: str) -> Tuple[Agency, ...]:
        """The type's agencies first (lead, support), then every other one."""
        first = self.type_of(code).agencies
        rest = tuple(a for a in self.agencies.values() if a not in first)
        return first + rest


def load(path: Path = AGENCIES_FILE) -> Directory:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AgenciesError(f"{path}: {exc}") from None
    agencies = {code: _agency(code, entry) for code, entry in _mapping(raw, "agencies").items()}
    if not agencies:
        raise AgenciesError(f"{path}: no agencies")
    types = {
        code: _type(code, entry, agencies) for code, entry in _mapping(raw, "emergencies").items()
    }
    return Directory(agencies, types)


def _mapping(raw: Mapping[str, object], key: str) -> Dict[str, Mapping[str, object]]:
    value = raw.get(key)
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise AgenciesError(f"{key!r} must map codes to entries")
    return {str(k): v for k, v in value.items()}


def _agency(code: str, entry: Mapping[str, object]) -> Agency:
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise AgenciesError(f"agency {code!r} has no name")
    phone = entry.get("phone")
    return Agency(code, name.strip(), str(phone).strip() if phone else None)


def _type(code: str, entry: Mapping[str, object], agencies: Dict[str, Agency]) -> EmergencyType:
    def agency(name: object) -> Agency:
        if not isinstance(name, str) or name not in agencies:
            raise AgenciesError(f"emergency {code!r} names an unknown agency {name!r}")
        return agencies[name]

    support = entry.get("support") or []
    if not isinstance(support, list):
        raise AgenciesError(f"emergency {code!r}: support must be a list")
    return EmergencyType(
        code,
        str(entry.get("label") or code),
        agency(entry.get("lead")),
        tuple(map(agency, support)),
    )


def _first(agencies: Dict[str, Agency]) -> Agency:
    return next(iter(agencies.values()))

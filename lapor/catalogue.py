"""The service catalogue: complaint categories and departments from services.yml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Pattern, Tuple

import yaml

DATATYPES = {"string", "number", "text", "singlevaluelist", "multivaluelist"}
# Where a category's problem is (what the bot asks for as "where"): a street or
# landmark; a household (kelurahan and RT/RW); a school; a health facility or a
# household.
PLACE_KINDS = ("street", "household", "school", "health")
# An answer checked beyond a pattern: "nik" is a population number, sealed by
# the channel before Rasa sees it (lapor/identity.py).
CHECKS = ("nik",)


class CatalogueError(ValueError):
    """services.yml is not valid; the message names the entry at fault."""


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class Attribute:
    code: str
    description: str
    datatype: str
    required: bool = False
    values: Tuple[Tuple[str, str], ...] = ()
    # The chatbot's side (none of it is Open311): the question it asks, the NLU
    # entity that answers it from any message, and how an answer is checked.
    # An attribute without a prompt is never asked in the chat.
    prompt: Optional[str] = None
    entity: Optional[str] = None
    pattern: Optional[Pattern[str]] = None
    check: Optional[str] = None
    invalid: Optional[str] = None

    @property
    def value_keys(self) -> Tuple[str, ...]:
        return tuple(key for key, _ in self.values)

    def named(self, value: Any) -> str:
        """An answer as people read it: a value list's names, not its keys."""
        names = dict(self.values)
        values = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(v), str(v)) for v in values)


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    department: Department
    group: str
    sla_days: int
    keywords: Tuple[str, ...] = ()
    attributes: Tuple[Attribute, ...] = ()
    # What the bot says it understood ("laporan lampu jalan di ...").
    short_name: str = ""
    place: str = "street"

    @property
    def asked(self) -> Tuple[Attribute, ...]:
        """The attributes the chatbot asks for, in the file's order."""
        return tuple(a for a in self.attributes if a.prompt)

    def attribute(self, code: str) -> Attribute | None:
        return next((a for a in self.attributes if a.code == code), None)


@dataclass(frozen=True)
class Catalogue:
    departments: Dict[str, Department]
    services: Dict[str, Service] = field(default_factory=dict)

    def service(self, code: str) -> Service | None:
        return self.services.get(code)


def load_catalogue(path: Path) -> Catalogue:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: expected 'departments' and 'services' sections")
    departments = _departments(raw.get("departments"), path)
    services: Dict[str, Service] = {}
    for index, entry in enumerate(_list(raw.get("services"), f"{path}: services")):
        where = f"{path}: services[{index}]"
        service = _service(_mapping(entry, where), departments, where)
        if service.code in services:
            raise CatalogueError(f"{where}: duplicate service code {service.code!r}")
        services[service.code] = service
    if not services:
        raise CatalogueError(f"{path}: no services defined")
    return Catalogue(departments=departments, services=services)


def _departments(raw: Any, path: Path) -> Dict[str, Department]:
    departments: Dict[str, Department] = {}
    for index, entry in enumerate(_list(raw, f"{path}: departments")):
        where = f"{path}: departments[{index}]"
        item = _mapping(entry, where)
        code = _text(item, "code", where)
        if code in departments:
            raise CatalogueError(f"{where}: duplicate department code {code!r}")
        departments[code] = Department(code=code, name=_text(item, "name", where))
    return departments


def _service(item: Mapping[str, Any], departments: Dict[str, Department], where: str) -> Service:
    code = _text(item, "code", where)
    department_code = _text(item, "department", where)
    if department_code not in departments:
        raise CatalogueError(f"{where}: unknown department {department_code!r}")
    sla_days = item.get("sla_days")
    if not isinstance(sla_days, int) or sla_days < 1:
        raise CatalogueError(f"{where}: sla_days must be a whole number of days >= 1")
    attributes = tuple(
        _attribute(_mapping(a, f"{where}.attributes[{i}]"), f"{where}.attributes[{i}]")
        for i, a in enumerate(_list(item.get("attributes") or [], f"{where}.attributes"))
    )
    place = str(item.get("place") or "street")
    if place not in PLACE_KINDS:
        raise CatalogueError(f"{where}: place must be one of {list(PLACE_KINDS)}")
    name = _text(item, "name", where)
    return Service(
        code=code,
        name=name,
        short_name=str(item.get("short_name") or name).strip(),
        place=place,
        description=_text(item, "description", where),
        department=departments[department_code],
        group=str(item.get("group") or ""),
        sla_days=sla_days,
        keywords=tuple(str(k) for k in item.get("keywords") or ()),
        attributes=attributes,
    )


def _attribute(item: Mapping[str, Any], where: str) -> Attribute:
    datatype = _text(item, "datatype", where)
    if datatype not in DATATYPES:
        raise CatalogueError(f"{where}: datatype must be one of {sorted(DATATYPES)}")
    values = tuple((str(k), str(v)) for k, v in (item.get("values") or {}).items())
    if datatype.endswith("valuelist") and not values:
        raise CatalogueError(f"{where}: a {datatype} needs 'values'")
    check = _optional(item, "check", where)
    if check is not None and check not in CHECKS:
        raise CatalogueError(f"{where}: check must be one of {list(CHECKS)}")
    return Attribute(
        code=_text(item, "code", where),
        description=_text(item, "description", where),
        datatype=datatype,
        required=bool(item.get("required", False)),
        values=values,
        prompt=_optional(item, "prompt", where),
        entity=_optional(item, "entity", where),
        pattern=_pattern(item, where),
        check=check,
        invalid=_optional(item, "invalid", where),
    )


def _optional(item: Mapping[str, Any], key: str, where: str) -> Optional[str]:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: '{key}' must be a non-empty text")
    return value.strip()


def _pattern(item: Mapping[str, Any], where: str) -> Optional[Pattern[str]]:
    raw = _optional(item, "pattern", where)
    try:
        return re.compile(raw, re.IGNORECASE) if raw else None
    except re.error as exc:
        raise CatalogueError(f"{where}: pattern is not a regular expression: {exc}") from exc


def _list(raw: Any, where: str) -> List[Any]:
    if not isinstance(raw, list):
        raise CatalogueError(f"{where}: expected a list")
    return raw


def _mapping(raw: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: expected a mapping")
    return raw


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: '{key}' is required")
    return value.strip()

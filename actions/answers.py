"""Answers to a category's questions (the Open311 attributes of data/services.yml):
which are still to ask, and whether a typed answer or an NLU entity answers one.

Pure logic: the form step (actions/details.py) is a thin wrapper around it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence

from lapor.catalogue import Attribute, Service
from lapor.facilities import tokens
from lapor.identity import SealedNumber

SKIPPED = "-"  # an optional question the citizen chose to skip
NIK_MISSING = "Mohon tulis NIK-nya: 16 angka, seperti di KTP atau KK."
Answers = Dict[str, Any]


@dataclass(frozen=True)
class Checked:
    """A typed answer: the value to keep, or why it is not one."""

    value: Any = None
    problem: Optional[str] = None


def pending(service: Service, answers: Mapping[str, Any]) -> Optional[Attribute]:
    """The next question of the category that has no answer yet."""
    return next((a for a in service.asked if a.code not in answers), None)


def kept(service: Service, answers: Mapping[str, Any]) -> Answers:
    """The answers that belong to this category (the category may have changed)."""
    return {code: value for code, value in answers.items() if service.attribute(code)}


def filled(service: Service, answers: Mapping[str, Any]) -> Answers:
    """The answers to send as Open311 attribute[...] (skipped ones left out)."""
    return {c: v for c, v in kept(service, answers).items() if v != SKIPPED}


def check(attribute: Attribute, text: str, skip: bool = False) -> Checked:
    """A typed (or button) answer to the attribute's question."""
    text = text.strip()
    if skip:
        if attribute.required:
            return Checked(problem=f"Maaf, {attribute.description.lower()} wajib diisi.")
        return Checked(value=SKIPPED)
    value = _value(attribute, text)
    if value is None:
        return Checked(problem=attribute.invalid or _default_problem(attribute))
    return Checked(value=value)


def check_sealed(attribute: Attribute, sealed: Sequence[SealedNumber], skip: bool) -> Checked:
    """The answer to an NIK question: a number the channel sealed (the chat
    never holds its digits), checked there already."""
    if sealed:
        return (
            Checked(problem=sealed[0].problem)
            if sealed[0].problem
            else Checked(sealed_value(sealed[0]))
        )
    if skip and not attribute.required:
        return Checked(value=SKIPPED)
    return Checked(problem=NIK_MISSING + ("" if attribute.required else " Atau pilih Lewati."))


def sealed_value(number: SealedNumber) -> Dict[str, str]:
    """Kept in the conversation: the sealed token and the last four digits only."""
    return {"sealed": number.token, "last4": number.last4}


def from_entity(attribute: Attribute, value: str) -> Any:
    """The NLU entity's value as this attribute's value, or None if it is not one."""
    return _value(attribute, value)


def shown(attribute: Attribute, value: Any) -> str:
    """How an answer reads in the summary: a value list's name, not its key."""
    if value == SKIPPED:
        return "tidak diisi"
    if isinstance(value, dict) and "last4" in value:
        return f"…{value['last4']} (tersegel)"
    return attribute.named(value)


def _value(attribute: Attribute, text: str) -> Any:
    if attribute.datatype == "singlevaluelist":
        return _key(attribute, text)
    if attribute.datatype == "multivaluelist":
        keys = [k for k, _ in attribute.values if _key_matches(attribute, k, text)]
        return keys or None
    if attribute.pattern is not None:
        found = attribute.pattern.search(text)
        return found.group(0).strip() if found else None
    if attribute.datatype == "number":
        digits = re.search(r"\d+(?:[.,]\d+)?", text)
        return digits.group(0).replace(",", ".") if digits else None
    return text[:500] if len(text) >= 2 else None


def _key(attribute: Attribute, text: str) -> Optional[str]:
    return next((k for k, _ in attribute.values if _key_matches(attribute, k, text)), None)


def _key_matches(attribute: Attribute, key: str, text: str) -> bool:
    """'pkh', 'PKH', 'yang pkh pak' and 'KIS' (for 'KIS PBI') all name a value."""
    words = set(tokens(text))
    names = {w for w in tokens(dict(attribute.values)[key]) if len(w) >= 3}
    return key.lower() in words or bool(names & words)


def _default_problem(attribute: Attribute) -> str:
    if attribute.values:
        return "Mohon pilih salah satu pilihan yang tersedia."
    return "Maaf, jawabannya belum bisa kami baca. Mohon tulis ulang."

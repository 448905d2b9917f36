"""Raw input the database or the code cannot take: refused with a 400, not a 500.

Headers: Sanic's own server decodes header bytes that are not UTF-8 into lone
surrogates (and its ASGI path as latin-1); `.encode()`, hashing or storing such a
value then fails. Keys are printable ASCII, so anything else is refused before it
is used.

Text: PostgreSQL text cannot hold NUL characters, and neither database driver can
encode a lone surrogate (JSON may carry one as "\\ud800"); both are refused for
every text that may reach SQL, on both databases alike.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Tuple

from sanic.request import Request

from backend.errors import Open311Error

# Visible ASCII and the space: what API keys and idempotency keys are made of.
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def header(request: Request, name: str) -> str:
    """The header's value, stripped ("" when absent); 400 unless printable ASCII."""
    value = (request.headers.get(name) or "").strip()
    if not _PRINTABLE_ASCII.match(value):
        raise Open311Error.one(400, f"{name} must be printable ASCII text")
    return value


def text_problem(name: str, value: str) -> str | None:
    """Why the value cannot be stored or looked up as text, or None when it can."""
    if "\x00" in value:
        return f"{name} must not contain NUL characters"
    if _SURROGATE.search(value):
        return f"{name} is not valid Unicode text"
    return None


def text_problems(fields: Iterable[Tuple[str, str]]) -> List[str]:
    """One problem per (name, value) that cannot be stored, each name once."""
    problems: List[str] = []
    for name, value in fields:
        problem = text_problem(name, value)
        if problem and problem not in problems:
            problems.append(problem)
    return problems


def require_text(fields: Iterable[Tuple[str, str]]) -> None:
    """Raises a 400 naming every field that cannot be stored."""
    problems = text_problems(fields)
    if problems:
        raise Open311Error(400, problems)

"""What the bot understood from the opening message, said back in one line
before it asks anything ("Baik, laporan lampu jalan di gang 3, Kel. Bandar
Lor."), and a second problem in the same message ("... dan selokan mampet")."""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Tuple

from actions import answers, places, texts
from actions.catalogue import catalogue
from lapor.catalogue import Service
from lapor.facilities import contains, tokens

# Where one problem ends and another may begin in a message.
_CLAUSES = re.compile(
    r"[.;,!?\n]+|\b(?:dan|serta|juga|lalu|terus|trus|kemudian|selain itu|sama|karo|lan)\b",
    re.IGNORECASE,
)


def acknowledgement(service: Service, slots: Mapping[str, Any]) -> str:
    """One line: the category in a few words, its answers, and the place."""
    what = service.short_name
    values = answers.filled(service, slots.get("attributes") or {})
    shown = [answers.shown(a, values[a.code]) for a in service.asked if a.code in values]
    if shown:
        what += f" ({', '.join(shown)})"
    where = places.describe(slots.get("location"), slots.get("kelurahan"))
    return texts.UNDERSTOOD.format(what=what, where=f" di {where}" if where else "")


def second_problem(text: str, main: str) -> Optional[Tuple[str, str]]:
    """Another category named in a part of the message of its own: its code and
    that part. A part that also names the main category is one problem
    ("selokan mampet karena sampah" is drainage, not waste too)."""
    services = catalogue().services
    if main not in services:
        return None
    for clause in (c.strip() for c in _CLAUSES.split(text) if c and c.strip()):
        words = tokens(clause)
        if _names(services[main], words):
            continue
        other = next(
            (
                code
                for code, s in services.items()
                if code not in (main, "other") and _names(s, words)
            ),
            None,
        )
        if other:
            return other, clause
    return None


def _names(service: Service, words: Tuple[str, ...]) -> bool:
    """Whether the words contain one of the service's keywords (whole words)."""
    # "kk" is also "kakak" in a chat: keywords under 3 letters are too ambiguous.
    return any(len(k) >= 3 and tokens(k) and contains(words, tokens(k)) for k in service.keywords)

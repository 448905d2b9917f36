"""Phone numbers are personal data: logs only ever see them masked."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(value: str) -> str:
    """'whatsapp:+6281234567890' -> 'whatsapp:+6281*****7890'."""
    digits = [m.start() for m in _DIGITS.finditer(value)]
    if len(digits) <= 6:
        return _DIGITS.sub("*", value)
    hidden = set(digits[4:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))

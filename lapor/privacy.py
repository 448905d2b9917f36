"""Phone numbers and NIK are personal data: logs and public views see them masked."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")
# Separators people put inside numbers: "0812-3456-7890", "0812 3456 7890", "0812.3456.7890".
_SEP = r"[ \u00a0.\-]"
# Indonesian mobile numbers: 08xx, 628xx or +62 8xx, 10 to 14 digits in all. The
# look-arounds keep a match from starting or ending inside a longer run of digits.
_MOBILE = re.compile(
    rf"(?<![\d+.])(?:\+62{_SEP}?|62{_SEP}?|0[ \u00a0\-]?)8(?:{_SEP}?\d){{7,11}}(?!\d)"
)
# NIK (Nomor Induk Kependudukan): 16 digits, often written in groups.
_NIK = re.compile(rf"(?<!\d)(?<!\d{_SEP})\d(?:{_SEP}?\d){{15}}(?!{_SEP}?\d)")
# Digits kept at the start of a masked number: an operator prefix ("0812") or a
# NIK's province and city ("3571"), which name nobody.
_KEPT = 4


def mask_phone(value: str) -> str:
    """'whatsapp:+6281234567890' -> 'whatsapp:+6281*****7890'."""
    digits = [m.start() for m in _DIGITS.finditer(value)]
    if len(digits) <= 6:
        return _DIGITS.sub("*", value)
    hidden = set(digits[4:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def mask_text(text: str) -> str:
    """Free text for the public: mobile numbers and NIKs keep only their first 4 digits.

    'hubungi 0812-3456-7890' -> 'hubungi 0812-****-****'. Unlike mask_phone (for
    logs, which keeps the last digits to tell numbers apart), nothing here lets a
    reader complete the number.
    """
    return _MOBILE.sub(_masked, _NIK.sub(_masked, text))


def _masked(match: re.Match[str]) -> str:
    seen = 0
    out = []
    for ch in match.group(0):
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= _KEPT else "*")
        else:
            out.append(ch)
    return "".join(out)


def carries_numbers(text: str) -> bool:
    """Whether text shows a phone number or NIK unmasked (what no log line may)."""
    return mask_text(text) != text

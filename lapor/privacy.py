"""Phone numbers and NIK are personal data: logs and public views see them masked."""

from __future__ import annotations

import re
from typing import List

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


# -- names -------------------------------------------------------------------------
#
# A heuristic, for showing citizens' messages to the content editors: a name is
# one or more capitalised words right after a phrase that introduces one ("nama
# saya", "namaku", "nama aku", "atas nama", "a.n.", "an.", "saya", "aku",
# "kulo", "dengan") or after a title ("Pak", "Bu", "Bapak", "Ibu", "Mas", "Mbak",
# "Sdr", "Sdri"). Known limits: a name written in lower case ("saya budi") or
# without such a phrase ("Budi lapor lampu mati") is not found; a capitalised
# ordinary word after "saya" ("Saya Mau lapor", or a message in capitals) is
# masked although it is none.
# Place and office words (Jl., Jalan, Kel., Kelurahan, RT, Lurah...) are never
# taken for a name, so the street or kelurahan of a complaint stays readable.

NAME_MASK = "[nama]"
_NOT_NAMES = (
    "Jl|Jln|Jalan|Gg|Gang|Kel|Kelurahan|Kec|Kecamatan|Desa|Dusun|Dsn|Kota|Kab|Kabupaten"
    "|Perum|Perumahan|Komplek|Kompleks|Blok|RT|RW|Lurah|Camat|Kades|Bupati|Wali|Walikota"
    "|Dinas|Pasar|Masjid|Sekolah|SD|SDN|SMP|SMPN|SMA|SMAN|SMK|Puskesmas|RS|RSUD|Taman"
    "|Simpang|Lapangan|Terminal|Stasiun|Jembatan|Sungai|Kali|Polisi|Polsek|Dokter|Guru"
)
_WORD = rf"(?!(?:{_NOT_NAMES})\b)[A-Z][A-Za-z'\u2019-]*"
_NAME = rf"{_WORD}(?:[ \u00a0]+{_WORD})*"
_INTRODUCER = re.compile(
    r"(?<![\w.])(?i:nama[ \u00a0]+saya|namaku|nama[ \u00a0]+aku|atas[ \u00a0]+nama"
    r"|a\.[ \u00a0]?n\.|an\.|saya|aku|kulo|dengan)"
    r"(?:[ \u00a0]*:[ \u00a0]*|[ \u00a0]+)(?:(?i:adalah|ialah)[ \u00a0]+)?"
    r"(?:(?i:pak|bu|bapak|ibu|mas|mbak|sdr|sdri)\.?[ \u00a0]+)?"
    rf"(?={_WORD})"
)
_TITLE = re.compile(rf"(?<![\w.])(?i:pak|bu|bapak|ibu|mas|mbak|sdri|sdr)\.?[ \u00a0]+(?={_WORD})")
_NAME_AT = re.compile(_NAME)


def mask_names(text: str) -> str:
    """People's names in a citizen's message replaced with "[nama]" (a heuristic).

    'nama saya Budi Santoso, lampu mati' -> 'nama saya [nama], lampu mati';
    'lapor ke Pak Slamet di Jl. Mawar' -> 'lapor ke Pak [nama] di Jl. Mawar'.
    """
    out: List[str] = []
    position = 0
    for lead in _leads(text):
        name = _NAME_AT.match(text, lead)
        if name is None or lead < position:
            continue
        out.append(text[position:lead])
        out.append(NAME_MASK)
        position = name.end()
    out.append(text[position:])
    return "".join(out)


def _leads(text: str) -> List[int]:
    """Where names start: right after an introducing phrase or a title."""
    found = {m.end() for m in _INTRODUCER.finditer(text)}
    found.update(m.end() for m in _TITLE.finditer(text))
    return sorted(found)

"""Population numbers (NIK, KK) never reach Rasa: the channel seals them.

Open-source Rasa has no anonymiser, and whatever Rasa sees lands in the
tracker store, the event pipeline and possibly the logs. So every channel
replaces a run of 14 to 18 digits in a citizen's text (an NIK or KK, or a
mistyped one: a phone number has at most 13) with a placeholder that keeps
the last four digits, and carries the number encrypted with the contact key in
the message's metadata, with what is wrong with it as an NIK. Only the backend
opens it, for the department's staff (backend/console/tickets.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from stdnum.exceptions import InvalidLength, ValidationError
from stdnum.id import nik

from lapor.contact import ContactCipher

METADATA_KEY = "identity_numbers"
PLACEHOLDER = "[nomor …{last4}]"
_NUMBER = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){13,17}(?!\d)")


@dataclass(frozen=True)
class SealedNumber:
    token: str  # the digits, encrypted with the contact key
    last4: str
    problem: Optional[str] = None  # why it is not a valid NIK, in Indonesian

    def as_metadata(self) -> Dict[str, Any]:
        return {"token": self.token, "last4": self.last4, "problem": self.problem}

    @classmethod
    def from_metadata(cls, raw: Any) -> Optional["SealedNumber"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("token"), str):
            return None
        problem = raw.get("problem")
        return cls(str(raw["token"]), str(raw.get("last4") or ""), problem and str(problem))


def nik_problem(digits: str) -> Optional[str]:
    """None for a valid NIK; otherwise what is wrong, for the citizen."""
    if set(digits) == {"0"}:
        return "NIK tidak mungkin berisi angka 0 semua. Mohon periksa kembali di KTP atau KK."
    try:
        nik.validate(digits)
    except InvalidLength:
        return f"NIK terdiri dari 16 angka; yang Bapak/Ibu kirim {len(digits)} angka."
    except ValidationError:
        return (
            "NIK tersebut tidak sah: kode wilayah atau tanggal lahirnya tidak mungkin. "
            "Mohon periksa kembali di KTP atau KK."
        )
    return None


def seal_numbers(text: str, cipher: ContactCipher) -> Tuple[str, List[SealedNumber]]:
    """The text with each population number replaced, and the numbers sealed."""
    sealed: List[SealedNumber] = []

    def replace(match: "re.Match[str]") -> str:
        digits = re.sub(r"\D", "", match.group(0))
        number = SealedNumber(cipher.seal_value(digits), digits[-4:], nik_problem(digits))
        sealed.append(number)
        return PLACEHOLDER.format(last4=number.last4)

    return _NUMBER.sub(replace, text), sealed


def open_number(token: str, cipher: ContactCipher) -> str:
    """The digits of a sealed number (backend only); ContactError if not ours."""
    digits = cipher.open(token)
    if not digits.isdigit():
        raise ValueError("not a sealed population number")
    return digits

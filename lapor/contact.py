"""Phone numbers leave the WhatsApp channel only sealed.

Rasa stores conversations under their sender id, so the channel uses a
pseudonym (an HMAC of the number) as the sender id, and passes the number
itself only encrypted (Fernet) in the message metadata. The backend, which
keeps reporters' numbers for callbacks and notices, holds the same key and
opens it; the tracker store, the action server and the logs never see a number.

CONTACT_KEY: a Fernet key (`python -c "from cryptography.fernet import
Fernet; print(Fernet.generate_key().decode())"`), the same for the Rasa server
and the backend (lapor/settings.py: a development key when unset, refused in
production).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from lapor.settings import WhatsAppSettings

PSEUDONYM_PREFIX = "whatsapp:p-"


class ContactError(ValueError):
    pass


class ContactCipher:
    @classmethod
    def from_settings(cls, settings: WhatsAppSettings) -> "ContactCipher":
        return cls(settings.contact_key.encode())

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError as exc:
            raise ContactError("CONTACT_KEY is not a valid Fernet key") from exc
        self._hmac_key = hashlib.sha256(b"pseudonym|" + key).digest()

    def pseudonym(self, phone: str) -> str:
        """'+6281234567890' -> 'whatsapp:p-3f2a...' (stable, not reversible)."""
        digest = hmac.new(self._hmac_key, _normal(phone).encode(), hashlib.sha256).hexdigest()
        return f"{PSEUDONYM_PREFIX}{digest[:32]}"

    def seal(self, phone: str) -> str:
        return self._fernet.encrypt(_normal(phone).encode()).decode()

    def seal_value(self, value: str) -> str:
        """Any other secret the channel carries for the backend (an NIK)."""
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError) as exc:
            raise ContactError("contact token cannot be opened") from exc


def _normal(phone: str) -> str:
    """'whatsapp:+62 812-3456' -> '+628123456'."""
    number = phone.split(":", 1)[-1]
    return "+" + "".join(ch for ch in number if ch.isdigit())

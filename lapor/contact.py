"""Phone numbers leave the WhatsApp channel only sealed.

Rasa stores conversations under their sender id, so the channel uses a
pseudonym (an HMAC of the number) as the sender id, and passes the number
itself only encrypted (Fernet) in the message metadata. The backend, which
keeps reporters' numbers for callbacks and notices, holds the same key and
opens it; the tracker store, the action server and the logs never see a number.

CONTACT_KEY: a Fernet key (`python -c "from cryptography.fernet import
Fernet; print(Fernet.generate_key().decode())"`), the same for the Rasa server
and the backend. Without it a development key is used, and production
(APP_ENV=production) refuses to start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache
from typing import Mapping, Optional

from cryptography.fernet import Fernet, InvalidToken

# Only ever used outside production; named in the README.
DEVELOPMENT_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"lapor-dev-contact-key").digest())


PSEUDONYM_PREFIX = "whatsapp:p-"


class ContactError(ValueError):
    pass


class ContactCipher:
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

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError) as exc:
            raise ContactError("contact token cannot be opened") from exc


def _normal(phone: str) -> str:
    """'whatsapp:+62 812-3456' -> '+628123456'."""
    number = phone.split(":", 1)[-1]
    return "+" + "".join(ch for ch in number if ch.isdigit())


@lru_cache(maxsize=4)
def _cipher(key: bytes) -> ContactCipher:
    return ContactCipher(key)


def cipher_from_env(environ: Optional[Mapping[str, str]] = None) -> ContactCipher:
    env = os.environ if environ is None else environ
    key = env.get("CONTACT_KEY", "").strip()
    if not key and env.get("APP_ENV", "").lower() == "production":
        raise ContactError("CONTACT_KEY is not set: production refuses the development key")
    return _cipher(key.encode() if key else DEVELOPMENT_KEY)

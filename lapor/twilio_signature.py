"""Twilio's webhook signatures, checked the same way by every process.

Twilio signs the public URL it called plus every form parameter, empty ones
too ("Body=" for a photo, "Digits=" for a silent caller); Sanic's form
parser drops those, so the body is parsed here. Behind a TLS proxy the URL a
process sees is not the one Twilio signed: TWILIO_WEBHOOK_BASE_URL names it.
"""

from __future__ import annotations

from typing import Dict, Optional
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

HEADER = "X-Twilio-Signature"


def signed_form(
    body: Optional[bytes], url: str, signature: str, auth_token: str
) -> Optional[Dict[str, str]]:
    """The request's form when Twilio signed it with this token; None otherwise."""
    form = dict(parse_qsl((body or b"").decode("utf-8", "replace"), keep_blank_values=True))
    if not (auth_token and signature):
        return None
    if not RequestValidator(auth_token).validate(url, form, signature):
        return None
    return form


def public_url(base: Optional[str], own_url: str, path: str, query: str) -> str:
    """The URL Twilio called: the configured public base + path (+ query), or our own URL."""
    if not base:
        return own_url
    return f"{base.rstrip('/')}{path}{'?' + query if query else ''}"

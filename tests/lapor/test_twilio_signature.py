"""Twilio's webhook signatures, as the WhatsApp channel and the voice line check them."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from lapor.twilio_signature import public_url, signed_form

TOKEN = "test-auth-token"
URL = "https://lapor.example.go.id/voice/gather?step=greeting"


def _signed(url: str, form: dict) -> str:
    return RequestValidator(TOKEN).compute_signature(url, form)


def test_a_form_signed_for_its_url_is_read_with_its_empty_fields() -> None:
    form = {"CallSid": "CA" + "1" * 32, "Digits": "", "SpeechResult": "tolong"}
    body = urlencode(form).encode()
    assert signed_form(body, URL, _signed(URL, form), TOKEN) == form


def test_no_token_no_signature_or_another_url_is_refused() -> None:
    form = {"CallSid": "CA" + "1" * 32}
    body = urlencode(form).encode()
    assert signed_form(body, URL, _signed(URL, form), "") is None
    assert signed_form(body, URL, "", TOKEN) is None
    other = "https://lapor.example.go.id/voice/status"
    assert signed_form(body, URL, _signed(other, form), TOKEN) is None


def test_the_public_url_is_the_configured_base_with_path_and_query_or_our_own() -> None:
    own = "http://127.0.0.1:8000/voice/gather?step=greeting"
    base = "https://lapor.example.go.id/"
    assert public_url(base, own, "/voice/gather", "step=greeting") == URL
    assert (
        public_url(base, own, "/voice/incoming", "") == "https://lapor.example.go.id/voice/incoming"
    )
    assert public_url(None, own, "/voice/gather", "step=greeting") == own

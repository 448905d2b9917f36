"""Property tests: any webhook form and any reply text, never a crash.

Twilio posts whatever the citizen's phone sent (any Unicode, any length) and
adds parameters over time; the parser and the WhatsApp formatting must turn
all of it into a message or a documented `BadWebhook`, nothing else.
"""

from __future__ import annotations

import json
import math
from typing import Dict, List

from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels import inbound
from lapor.whatsapp.formatting import MAX_BODY, choose_button, split_text, with_numbered_buttons
from tests import strategies
from tests.strategies import ODD, checked

PROPERTY = checked(60)

WORDS = ["halo", "lampu", "mati", "Bapak/Ibu", "1", "2.", "jl.", "tolonggg", "KDR-2026-000123"]

chat_text = strategies.chat_text(WORDS, joiner="", piece=12, most=40)
any_text = strategies.any_text(chat_text)

# What Twilio puts in numeric parameters, and what a forged or broken
# request might: non-finite floats, out-of-range and unparseable values.
ODD_NUMBERS = [
    "nan", "-nan", "NaN", "inf", "-Infinity", "1e999", "-1e999", "1e-999", "0", "-0", "90",
    "-90.0000001", "180", "180.0000001", "-7.8", "112.0", "1_0", " 7 ", "-1", "9999", "abc",
    "", "0x10", "٣", "²", "9" * 5000,
]  # fmt: skip
odd_number = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.floats(min_value=-200, max_value=200).map(str),
    st.floats().map(repr),
    st.integers().map(str),
    st.text(max_size=8),
)
field_text = st.one_of(st.text(max_size=30), chat_text)
twilio_fields = st.fixed_dictionaries(
    {},
    optional={
        "MessageSid": st.one_of(st.just("SM" + "a" * 32), field_text),
        "SmsMessageSid": field_text,
        "From": st.one_of(st.just("whatsapp:+6281234567890"), field_text),
        "To": field_text,
        "Body": any_text,
        "ProfileName": field_text,
        "WaId": field_text,
        "NumMedia": odd_number,
        "Latitude": odd_number,
        "Longitude": odd_number,
        "Address": field_text,
        "Label": field_text,
        "ButtonPayload": field_text,
        "ButtonText": field_text,
        "AccountSid": field_text,
        **{f"MediaUrl{n}": field_text for n in range(12)},
        **{f"MediaContentType{n}": field_text for n in range(12)},
    },
)
webhook_form = st.builds(
    lambda known, unknown: {**unknown, **known},
    twilio_fields,
    st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=5),
)


@PROPERTY
@given(webhook_form)
@example({"MessageSid": "SM1", "From": "w", "Latitude": "nan", "Longitude": "1"})
@example({"MessageSid": "SM1", "From": "w", "Latitude": "1e999", "Longitude": "-inf"})
@example({"MessageSid": "SM1", "From": "w", "NumMedia": "9" * 5000, "MediaUrl0": "u"})
@example({"MessageSid": "SM1", "From": "w", "NumMedia": "²", "MediaUrl0": "u"})
def test_any_form_is_a_message_or_a_bad_webhook(form: Dict[str, str]) -> None:
    try:
        message = inbound.parse(form)
    except inbound.BadWebhook:
        assert not (form.get("MessageSid") or form.get("SmsMessageSid")) or not form.get("From")
        return
    assert message.message_sid and message.sender
    assert message.body == message.body.strip()
    assert len(message.media) <= 10
    assert all(m.url for m in message.media)
    assert message.button_payload is None or message.button_payload.strip() == (
        message.button_payload
    )
    assert all(k in form and not k.startswith("Media") for k in message.extra)
    assert not set(message.extra) & inbound.KNOWN


pin_form = st.fixed_dictionaries(
    {"MessageSid": st.just("SM1"), "From": st.just("whatsapp:+62"), "Latitude": odd_number},
    optional={"Longitude": odd_number, "Address": field_text, "Label": field_text},
)


@PROPERTY
@given(pin_form)
@example({"MessageSid": "SM1", "From": "w", "Latitude": "-0", "Longitude": "180"})
@example({"MessageSid": "SM1", "From": "w", "Latitude": "1e-999", "Longitude": "112.0"})
def test_a_shared_pin_is_in_range_and_survives_the_payload(form: Dict[str, str]) -> None:
    location = inbound.parse(form).location
    if location is None:
        return
    lat, lon = location["latitude"], location["longitude"]
    assert math.isfinite(lat) and math.isfinite(lon)
    assert -90 <= lat <= 90 and -180 <= lon <= 180
    payload = inbound.location_payload(location)
    assert payload.startswith("/share_location{")
    # Strict JSON (no NaN/Infinity): Rasa reads the entities with json.loads.
    entities = json.loads(payload[len("/share_location") :], parse_constant=_refuse)
    assert entities == {"latitude": lat, "longitude": lon}


def _refuse(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


@PROPERTY
@given(any_text, st.one_of(st.integers(min_value=1, max_value=300), st.just(MAX_BODY)))
@example("x" * 3500, MAX_BODY)
@example("Tautan: " + "x" * 1700, MAX_BODY)  # the long word was sent before "Tautan:"
@example("0 10", 1)
@example("a.\u2028b", 2)
@example("\n \n", 1)
def test_split_text_fits_the_limit_and_loses_nothing(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert all(p == p.strip() for p in pieces)
    # Only whitespace may change at the cuts; every other character stays, in order.
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())
    if len(text.strip()) <= limit:
        assert pieces == ([text.strip()] if text.strip() else [])


buttons = st.lists(st.fixed_dictionaries({"title": field_text, "payload": field_text}), max_size=12)
BUTTONS = [{"title": "Ya, kirim", "payload": "/affirm"}, {"title": "Tidak", "payload": "/deny"}]


@PROPERTY
@given(st.one_of(any_text, st.integers().map(str), st.sampled_from(ODD)), buttons)
@example("²", BUTTONS)
@example("9" * 5000, BUTTONS)
@example("٢", BUTTONS)
@example(" 2. ", BUTTONS)
def test_any_reply_picks_one_of_the_buttons_or_none(
    reply: str, choices: List[Dict[str, str]]
) -> None:
    chosen = choose_button(reply, choices)
    assert chosen is None or chosen in [b["payload"] for b in choices]
    answer = reply.strip().rstrip(".")
    if answer in [str(n) for n in range(1, len(choices) + 1)]:
        assert chosen == choices[int(answer) - 1]["payload"]


@PROPERTY
@given(any_text, buttons)
def test_numbered_buttons_list_every_title(text: str, choices: List[Dict[str, str]]) -> None:
    shown = with_numbered_buttons(text, choices)
    for number, button in enumerate(choices, start=1):
        assert f"{number}. {button['title']}" in shown

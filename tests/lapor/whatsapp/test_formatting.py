from __future__ import annotations

import pytest

from bot.channels import inbound
from lapor.privacy import mask_phone
from lapor.whatsapp.formatting import MAX_BODY, choose_button, split_text, with_numbered_buttons

BUTTONS = [
    {"title": "Ya, kirim", "payload": "/affirm"},
    {"title": "Ada yang salah", "payload": "/deny"},
]


def test_short_text_is_one_message() -> None:
    assert split_text("Halo Bapak/Ibu 🙏") == ["Halo Bapak/Ibu 🙏"]


def test_long_text_is_cut_at_sentences_within_the_limit() -> None:
    sentence = "Laporan Bapak/Ibu sedang kami teruskan ke dinas terkait. "
    text = sentence * 60  # about 3,400 characters
    pieces = split_text(text)
    assert len(pieces) == 3
    assert all(len(p) <= MAX_BODY for p in pieces)
    assert all(p.endswith("terkait.") for p in pieces)
    assert " ".join(pieces) == text.strip()


def test_lines_are_kept_and_an_endless_word_is_cut() -> None:
    text = "baris satu\nbaris dua\n" + "x" * 3500
    pieces = split_text(text)
    assert pieces[0].startswith("baris satu\nbaris dua")
    assert all(len(p) <= MAX_BODY for p in pieces)
    assert "".join(p.replace("baris satu\nbaris dua", "").strip() for p in pieces) == "x" * 3500


def test_buttons_become_a_numbered_list() -> None:
    text = with_numbered_buttons("Apakah sudah benar?", BUTTONS)
    assert "1. Ya, kirim\n2. Ada yang salah" in text
    assert text.startswith("Apakah sudah benar?")


@pytest.mark.parametrize(
    ("reply", "payload"),
    [("1", "/affirm"), ("2.", "/deny"), (" ya, KIRIM ", "/affirm"), ("3", None), ("ya", None)],
)
def test_replies_map_back_to_payloads(reply: str, payload: str) -> None:
    assert choose_button(reply, BUTTONS) == payload


def test_phone_numbers_are_masked() -> None:
    assert mask_phone("whatsapp:+6281234567890") == "whatsapp:+6281*****7890"
    assert "1234567" not in mask_phone("+6281234567890")


def test_parse_keeps_unknown_parameters_and_reads_media_and_location() -> None:
    form = {
        "MessageSid": "SM1",
        "From": "whatsapp:+6281",
        "Body": " halo ",
        "NumMedia": "1",
        "MediaUrl0": "https://x/m",
        "MediaContentType0": "image/jpeg",
        "Latitude": "-7.8",
        "Longitude": "112.0",
        "Address": "Jl. Dhoho",
        "NewTwilioField": "z",
    }
    message = inbound.parse(form)
    assert message.body == "halo"
    assert message.media == (inbound.Media("https://x/m", "image/jpeg"),)
    assert message.location == {
        "latitude": -7.8,
        "longitude": 112.0,
        "address": "Jl. Dhoho",
        "label": None,
    }
    assert message.extra == {"NewTwilioField": "z"}


@pytest.mark.parametrize("form", [{"From": "whatsapp:+62"}, {"MessageSid": "SM1"}])
def test_parse_needs_sid_and_sender(form) -> None:
    with pytest.raises(inbound.BadWebhook):
        inbound.parse(form)


def test_bad_coordinates_are_no_location() -> None:
    form = {"MessageSid": "SM1", "From": "w", "Latitude": "abc", "Longitude": "1"}
    assert inbound.parse(form).location is None

"""Fit the bot's messages to WhatsApp: length limit, buttons as numbered lists."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

# Twilio refuses WhatsApp bodies over 1600 characters.
MAX_BODY = 1600
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_text(text: str, limit: int = MAX_BODY) -> List[str]:
    """Pieces of at most `limit` characters, cut at lines, then sentences, then words."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: List[str] = []
    current = ""
    for unit in _units(text, limit):
        joiner = "" if not current else ("\n" if unit.startswith("\n") else " ")
        candidate = current + joiner + unit.strip("\n") if current else unit.strip("\n")
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = unit.strip("\n")
    if current:
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def _units(text: str, limit: int) -> List[str]:
    units: List[str] = []
    for index, line in enumerate(text.split("\n")):
        prefix = "\n" if index else ""
        for sentence in _SENTENCE_END.split(line):
            if len(sentence) <= limit:
                units.append(prefix + sentence)
            else:
                units += _words(prefix + sentence, limit)
            prefix = ""
    return units


def _words(sentence: str, limit: int) -> List[str]:
    chunks: List[str] = []
    current = ""
    for word in sentence.split(" "):
        if len(word) > limit and current:
            # The words before it go out first, or the text is sent out of order.
            chunks.append(current)
            current = ""
        while len(word) > limit:  # one unbroken "word" longer than a message
            chunks.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = word
    if current:
        chunks.append(current)
    return chunks


def with_numbered_buttons(text: str, buttons: Sequence[Dict[str, str]]) -> str:
    lines = [f"{n}. {b['title']}" for n, b in enumerate(buttons, start=1)]
    hint = "Balas dengan angka pilihan Bapak/Ibu."
    return "\n".join([text.strip(), "", *lines, "", hint]).strip()


def choose_button(reply: str, buttons: Sequence[Dict[str, str]]) -> Optional[str]:
    """The payload a reply picks: its number ('2', '2.') or the button's title."""
    answer = reply.strip().rstrip(".").lower()
    # isdecimal, not isdigit: "²" is a digit int() refuses; and int() refuses
    # thousands of digits, which no button number has anyway.
    if answer.isdecimal() and len(answer) <= 3 and 1 <= int(answer) <= len(buttons):
        return buttons[int(answer) - 1]["payload"]
    return next((b["payload"] for b in buttons if b["title"].strip().lower() == answer), None)

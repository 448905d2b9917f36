"""The front door's decisions: who goes to an operator, who is asked again.

Pure: what Twilio heard in, the next step out. The rules, in the order the
city asked for them (UK's Silent Solution for the silent caller):

- At the greeting, a clear sentence or any key is a person: the queue, at once.
- Silence, or speech Twilio barely heard (background noise in a pocket),
  gets the silent prompt: "tekan 5 dua kali". It is played up to
  `prompts` times; "55" puts the caller through, flagged "cannot speak", and
  a clear sentence after the prompt puts them through too.
- A single "5" or another stray key at the prompt is not enough: the prompt
  is played again, so a caller who pressed one 5 gets a second try.
- Still nothing after the last prompt: a ghost call. It ends, and the number
  gets a WhatsApp message it can answer (backend/voice/messages.py), so a
  real caller who could do nothing on the line is still reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

SILENT_CODE = "55"


class Route(str, Enum):
    SPEECH = "speech"
    KEYS = "keys"
    SILENT = "silent55"


class Next(str, Enum):
    QUEUE = "queue"
    PROMPT = "prompt"
    GHOST = "ghost"


@dataclass(frozen=True)
class Heard:
    """One <Gather>'s result, as Twilio posts it."""

    speech: str = ""
    confidence: float = 0.0
    digits: str = ""

    @classmethod
    def from_form(cls, form: dict) -> "Heard":
        try:
            confidence = float(form.get("Confidence") or 0.0)
        except ValueError:
            confidence = 0.0
        digits = "".join(ch for ch in str(form.get("Digits") or "") if ch in "0123456789*#")
        return cls(str(form.get("SpeechResult") or "").strip(), confidence, digits[:32])


@dataclass(frozen=True)
class Rules:
    speech_confidence: float = 0.5  # below this, speech is noise until the caller confirms
    prompts: int = 2  # silent prompts before a call is a ghost


@dataclass(frozen=True)
class Decision:
    next: Next
    route: Optional[Route] = None

    @property
    def cannot_speak(self) -> bool:
        return self.route is Route.SILENT


def after_greeting(heard: Heard, rules: Rules) -> Decision:
    if SILENT_CODE in heard.digits:
        return Decision(Next.QUEUE, Route.SILENT)
    if heard.digits:
        return Decision(Next.QUEUE, Route.KEYS)
    if _clear(heard, rules):
        return Decision(Next.QUEUE, Route.SPEECH)
    return Decision(Next.PROMPT)


def after_prompt(heard: Heard, played: int, rules: Rules) -> Decision:
    """`played`: how many silent prompts the caller has heard, this one included."""
    if SILENT_CODE in heard.digits:
        return Decision(Next.QUEUE, Route.SILENT)
    if _clear(heard, rules):
        return Decision(Next.QUEUE, Route.SPEECH)
    return Decision(Next.PROMPT if played < rules.prompts else Next.GHOST)


def _clear(heard: Heard, rules: Rules) -> bool:
    return bool(heard.speech) and heard.confidence >= rules.speech_confidence

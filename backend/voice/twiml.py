"""The TwiML of each step of a 112 call, built with the twilio package.

The words come from data/voice/prompts.yml (editable, or replaced by
recordings); the numbers (how long to listen) from the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional

import yaml
from twilio.twiml.voice_response import Gather, VoiceResponse

LANGUAGE = "id-ID"
PROMPTS = (
    "greeting",
    "silent",
    "silent_again",
    "queued",
    "queued_silent",
    "hold",
    "prank_warning",
    "ghost_goodbye",
    "connected",
    "operator_missed",
)
# Words the speech recogniser should expect on an emergency line.
HINTS = "tolong, kebakaran, kecelakaan, darurat, ambulans, pingsan, banjir, maling, polisi"
HOLD_PAUSE = 8  # seconds of quiet between hold messages


@dataclass(frozen=True)
class Prompt:
    say: str
    play: Optional[str] = None


class PromptError(ValueError):
    pass


def load_prompts(path: Path) -> Dict[str, Prompt]:
    """Every prompt the flow needs, or an error naming the missing one (at start-up)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    prompts: Dict[str, Prompt] = {}
    for name in PROMPTS:
        entry = raw.get(name)
        if not isinstance(entry, Mapping) or not str(entry.get("say") or "").strip():
            raise PromptError(f"{path}: prompt {name!r} needs a `say` text")
        play = str(entry.get("play") or "").strip() or None
        if play and not play.startswith("https://"):
            raise PromptError(f"{path}: prompt {name!r}: `play` must be an https URL")
        prompts[name] = Prompt(" ".join(str(entry["say"]).split()), play)
    return prompts


@dataclass(frozen=True)
class Voice:
    prompts: Dict[str, Prompt]
    voice: str = "Google.id-ID-Standard-A"
    listen_seconds: int = 5

    def _speak(self, parent: VoiceResponse | Gather, name: str) -> None:
        prompt = self.prompts[name]
        if prompt.play:
            parent.play(prompt.play)
        else:
            parent.say(prompt.say, voice=self.voice, language=LANGUAGE)

    def ask(self, name: str, action: str, digits: int) -> str:
        """A prompt inside a <Gather> of speech and keys; silence posts to `action` too."""
        response = VoiceResponse()
        gather = response.gather(
            input="speech dtmf",
            language=LANGUAGE,
            action=action,
            method="POST",
            action_on_empty_result=True,
            num_digits=digits,
            timeout=self.listen_seconds,
            speech_timeout="auto",
            hints=HINTS,
        )
        self._speak(gather, name)
        return str(response)

    def enqueue(self, names: tuple[str, ...], queue: str, wait_url: str) -> str:
        response = VoiceResponse()
        for name in names:
            self._speak(response, name)
        response.enqueue(queue, wait_url=wait_url, wait_url_method="POST")
        return str(response)

    def hold(self) -> str:
        """What a queued caller hears, again and again, until an operator takes the call."""
        response = VoiceResponse()
        self._speak(response, "hold")
        response.pause(length=HOLD_PAUSE)
        return str(response)

    def goodbye(self, name: str) -> str:
        response = VoiceResponse()
        self._speak(response, name)
        response.hangup()
        return str(response)

    def bridge(self, phone: str, caller_id: str, action: str, answered: str) -> str:
        """The caller's leg, taken out of the queue and dialled to the operator's phone:
        `answered` is requested when the operator picks up, `action` when the bridge ends."""
        response = VoiceResponse()
        self._speak(response, "connected")
        dial = response.dial(caller_id=caller_id or None, action=action, method="POST")
        dial.number(phone, url=answered, method="POST")
        return str(response)

    @staticmethod
    def hangup() -> str:
        response = VoiceResponse()
        response.hangup()
        return str(response)

    @staticmethod
    def empty() -> str:
        return str(VoiceResponse())

"""The voice line's configuration, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from backend.settings import BackendSettings
from backend.voice import flow
from backend.voice.twiml import Voice, load_prompts

PATH = "/voice"  # where the webhooks live (the TwiML's action URLs are relative to it)


@dataclass(frozen=True)
class Line:
    """The voice line's configuration (backend/voice/webhooks.py builds it from settings)."""

    voice: Voice
    rules: flow.Rules
    queue: str  # Twilio queue names
    prank_queue: str
    prank_limit: int  # pranks in `prank_period` that put a number in the prank queue
    prank_period: timedelta
    # The webhooks' public address (TWILIO_WEBHOOK_BASE_URL, else the backend's
    # PUBLIC_URL): TwiML given to a live call by the REST API has no page to be
    # relative to, so every URL in the flow is absolute.
    base_url: str = ""
    caller_id: str = ""  # TWILIO_VOICE_FROM: what the operator's phone shows

    def url(self, path: str) -> str:
        return f"{self.base_url}{PATH}{path}"


def line_from(settings: BackendSettings) -> Line:
    """Reads the prompts now: a broken prompts file stops start-up with its message."""
    return Line(
        voice=Voice(
            load_prompts(settings.voice_prompts_file),
            settings.voice_name,
            settings.voice_listen_seconds,
        ),
        rules=flow.Rules(settings.voice_speech_confidence, settings.voice_silent_prompts),
        queue=settings.voice_queue,
        prank_queue=settings.voice_prank_queue,
        prank_limit=settings.voice_prank_limit,
        prank_period=timedelta(days=settings.voice_prank_days),
        base_url=(settings.twilio_webhook_base_url or settings.public_url).rstrip("/"),
        caller_id=settings.twilio_voice_from,
    )

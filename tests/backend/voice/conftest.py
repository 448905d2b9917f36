"""A backend whose 112 number is configured as Twilio would call it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sanic import Sanic

from backend.settings import BackendSettings
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC, VOICE_FROM, WHATSAPP_FROM, FakeTwilio


@pytest.fixture
def voice_settings(database_url: str, shared_nlu_repo: Path, fake: FakeTwilio) -> BackendSettings:
    return BackendSettings.load(
        database_url=database_url,
        open311_api_key="test-api-key",
        nlu_data_repo=shared_nlu_repo,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=WHATSAPP_FROM,
        twilio_voice_from=VOICE_FROM,
        twilio_api_base=fake.url,
        twilio_webhook_base_url=PUBLIC,
        twilio_templates={"ghost_call": "HX0000000000000000000000000000ghost"},
    )


@pytest.fixture
def voice_app(voice_settings: BackendSettings) -> Sanic:
    from backend.app import create_app

    return create_app(voice_settings, name=f"voice-{uuid.uuid4().hex[:8]}")

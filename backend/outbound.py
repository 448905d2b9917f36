"""The backend's way to reach citizens: lapor.outbound with the channels configured.

WhatsApp when the Twilio account is set, web chat when Redis is (the widget's
messages are kept and pushed through it); every delivered message is recorded
in the citizen's Rasa conversation.
"""

from __future__ import annotations

import logging
from typing import Dict

from backend import notify
from backend.settings import BackendSettings
from backend.voice import messages as voice_messages
from lapor import channels
from lapor.contact import ContactCipher
from lapor.conversations import RasaConversations
from lapor.outbound import Channel, Outbound
from lapor.webchat import WebChatChannel
from lapor.whatsapp.sender import WhatsAppChannel
from lapor.whatsapp.state import ChannelState, store_from_settings
from lapor.whatsapp.twilio import TwilioClient, TwilioConfig

logger = logging.getLogger(__name__)


def build(settings: BackendSettings, cipher: ContactCipher) -> Outbound:
    by_channel: Dict[str, Channel] = {}
    config = TwilioConfig.from_settings(settings)
    if config.configured:
        whatsapp = WhatsAppChannel(
            TwilioClient(config), ChannelState(store_from_settings(settings)), cipher
        )
        warning = notify.template_warning(whatsapp.has_template, voice_messages.TEMPLATES)
        if warning:
            logger.warning(warning)
        by_channel[channels.WHATSAPP] = whatsapp
    else:
        logger.info("TWILIO_* not set: notices to WhatsApp reporters stay queued")
    if settings.redis_url:
        # The widget's messages are kept in Redis and pushed through it.
        by_channel[channels.WEB] = WebChatChannel(settings.redis_url)
    else:
        logger.info("REDIS_URL not set: notices to web-chat reporters cannot be delivered")
    outbound = Outbound(by_channel, RasaConversations(settings.rasa_url, settings.rasa_token))
    logger.info("citizens are reached over: %s", ", ".join(outbound.channels) or "no channel")
    return outbound

"""WhatsApp through Twilio, as a Rasa input/output channel.

Inbound (POST /webhooks/whatsapp/webhook): every request's X-Twilio-Signature
is checked; each MessageSid is accepted once into the channel's inbox (Redis)
and marked done only after its turn, so a message whose process died mid-turn
is run again by any replica; Twilio gets its answer at once while the bot's
turn runs in the background, one message at a time per sender, and the
replies go out through Twilio's REST API. A sender's first message is also
answered with a short privacy notice linking the backend's /privasi page,
sent after the bot's own reply, so an emergency instruction is never delayed.
Delivery receipts arrive at /webhooks/whatsapp/status.

Named in bot/credentials.yml; configured by the bot's settings
(bot/settings.py: TWILIO_*, REDIS_URL, CONTACT_KEY, BACKEND_URL, ...).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.tracker_store import TrackerStore
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import commands, inbound
from bot.channels.identity import seal_message
from bot.channels.media import BackendMedia, MediaRefused, MediaStoreError
from bot.settings import BotSettings, get_settings
from bot.tracker_store import turn_published_again
from lapor import audio, channels
from lapor.contact import ContactCipher
from lapor.outbound import Button, Message, Recipient
from lapor.privacy import mask_phone
from lapor.twilio_signature import HEADER, public_url, signed_form
from lapor.whatsapp import formatting
from lapor.whatsapp.sender import WhatsAppChannel
from lapor.whatsapp.state import ChannelState, store_from_settings
from lapor.whatsapp.twilio import MediaRejected, TwilioClient, TwilioConfig, TwilioError

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
PHOTO_REFUSED = (
    "Mohon maaf, foto tidak dapat kami terima: hanya gambar (JPG/PNG) dengan ukuran "
    "paling besar {mb} MB. Silakan kirim foto lain atau lanjutkan tanpa foto."
)
VOICE_REFUSED = (
    "Mohon maaf, pesan suara ini tidak dapat kami terima: hanya rekaman suara (misalnya "
    "pesan suara WhatsApp) dengan ukuran paling besar {mb} MB. Mohon tuliskan keterangannya "
    "di sini. Untuk keadaan darurat, telepon 112."
)
UNSUPPORTED = (
    "Mohon maaf, jenis pesan ini belum dapat kami proses. Silakan ketik pesan, "
    "kirim foto, atau bagikan lokasi (share location)."
)
TROUBLE = "Mohon maaf, sistem sedang mengalami gangguan. Untuk keadaan darurat, telepon 112."
# Sent once per citizen (UU 27/2022: people are told how their data is used).
PRIVACY_NOTICE = (
    "Informasi privasi: pesan, lokasi, gambar, dan pesan suara yang Bapak/Ibu kirim hanya "
    "kami gunakan "
    "untuk menangani laporan dan keadaan darurat, dan disimpan terbatas sesuai masa simpan. "
    "Selengkapnya, termasuk hak Bapak/Ibu atas data pribadi: {url}"
)


class WhatsAppOutput(OutputChannel):
    """The bot's replies, sent the way the city's messages are (lapor/whatsapp/sender.py)."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    def __init__(self, channel: WhatsAppChannel) -> None:
        self.channel = channel
        self.client = channel.client

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, Message(text=text))

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        # WhatsApp sessions have no free-form buttons: a numbered list, and the
        # reply's number maps back to the payload (see WhatsAppInput).
        choices = tuple(Button(str(b["title"]), str(b["payload"])) for b in buttons)
        await self._send(recipient_id, Message(text=text, buttons=choices))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, Message(image_url=image))

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        # Custom payloads (the web widget's call button) have a text twin.
        logger.debug("custom payload not sent over WhatsApp: %s", json_message.get("type"))

    async def _send(self, conversation: str, message: Message) -> None:
        # Conversations are under pseudonyms; the number is kept sealed.
        phone = await self.channel.phone_of(Recipient.conversation(channels.WHATSAPP, conversation))
        if phone is None:
            logger.error("no number known for %s; message not sent", conversation)
            return
        try:
            await self.channel.send_session(phone, conversation, message)
        except TwilioError as exc:
            # Logged (with Twilio's error code) and the conversation goes on.
            logger.error("reply to %s not delivered: %s", mask_phone(conversation), exc)


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class WhatsAppInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # Rasa builds the channel itself: it gets the process's settings, loaded once.
        public = (credentials or {}).get("public_base_url")
        return cls.from_settings(get_settings(), public_base_url=public)

    @classmethod
    def from_settings(
        cls, settings: BotSettings, public_base_url: Optional[str] = None
    ) -> "WhatsAppInput":
        config = TwilioConfig.from_settings(settings)
        if not config.configured:
            logger.warning("WhatsApp channel: TWILIO_* variables are not set; webhooks get 403")
        return cls(
            config,
            ChannelState(store_from_settings(settings), settings.whatsapp_lease_seconds),
            BackendMedia.from_settings(settings),
            ContactCipher.from_settings(settings),
            public_base_url or settings.twilio_webhook_base_url,
            privacy_url=f"{settings.backend_public_url}/privasi",
            recover_every=settings.whatsapp_recover_seconds,
        )

    def __init__(
        self,
        config: TwilioConfig,
        state: ChannelState,
        media: BackendMedia,
        cipher: ContactCipher,
        public_base_url: Optional[str] = None,
        privacy_url: Optional[str] = None,
        recover_every: float = 15.0,
    ) -> None:
        self.config = config
        # Seconds between looks for messages stranded by a dead process.
        self.recover_every = recover_every
        # The privacy notice's link; None: no notice (tests of other behaviour).
        self.privacy_url = privacy_url
        self.state = state
        self.media = media
        self.public_base_url = (public_base_url or "").rstrip("/") or None
        self.cipher = cipher
        self.output = WhatsAppOutput(WhatsAppChannel(TwilioClient(config), state, self.cipher))
        self._tasks: set[asyncio.Task] = set()
        self._recovery: Optional[asyncio.Task] = None
        # Rasa's tracker store once the server runs (its agent's: a new model
        # brings a new agent): tells a stranded message whose turn was saved.
        self.trackers: Callable[[], Optional[TrackerStore]] = lambda: None

    def get_output_channel(self) -> OutputChannel:
        return self.output

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        bp = Blueprint("whatsapp_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            form = self._verified_form(request)
            if form is None:
                return response.text("invalid signature", status=403)
            try:
                received = inbound.parse(form)
            except inbound.BadWebhook as exc:
                return response.text(str(exc), status=400)
            if await self.state.accept(received.message_sid, form, received.sender):
                self._start(self._handle(received, on_new_message))
            # Twilio only needs to know we have it; replies go out via REST.
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @bp.listener("after_server_start")
        async def _recover(app: Any, _loop: Any) -> None:
            self.trackers = lambda: getattr(getattr(app.ctx, "agent", None), "tracker_store", None)
            # Kept apart from the turn tasks: it runs for the server's life.
            self._recovery = asyncio.ensure_future(self._recover_forever(on_new_message))

        @bp.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            form = self._verified_form(request)
            if form is None:
                return response.text("invalid signature", status=403)
            sid = form.get("MessageSid") or form.get("SmsSid")
            state = form.get("MessageStatus") or form.get("SmsStatus")
            if not sid or not state:
                return response.text("MessageSid and MessageStatus are required", status=400)
            await self.state.record_status(sid, state, form.get("ErrorCode") or None)
            if state in ("failed", "undelivered"):
                logger.warning(
                    "WhatsApp message %s %s (error %s)", sid, state, form.get("ErrorCode")
                )
            return response.text("", status=204)

        return bp

    def _verified_form(self, request: Request) -> Optional[Dict[str, str]]:
        url = public_url(self.public_base_url, request.url, request.path, request.query_string)
        signature = request.headers.get(HEADER, "")
        return signed_form(request.body, url, signature, self.config.auth_token)

    def _start(self, job: Awaitable[None]) -> None:
        task = asyncio.ensure_future(job)
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, received: inbound.Inbound, on_new_message: OnNewMessage) -> None:
        # One sender's messages run one at a time, in the order they were
        # accepted, across every replica (the sender's queue in Redis).
        async with self.state.turn(received.message_sid, received.sender):
            try:
                await self._process(received, on_new_message)
            except Exception:
                logger.exception("WhatsApp message from %s failed", mask_phone(received.sender))
                await self.output.send_text_message(received.sender, TROUBLE)
            # After the reply, whatever it was: a first message about a fire
            # hears "telepon 112" before anything about privacy.
            await self._privacy_notice(received)
        # Not in a `finally`: a turn cut short by shutdown (cancelled) stays
        # in the inbox, and a replica runs it again.
        await self.state.done(received.message_sid, received.sender)

    async def _privacy_notice(self, received: inbound.Inbound) -> None:
        """The notice, once per citizen across replicas (lapor/whatsapp/state.py)."""
        if not self.privacy_url:
            return
        conversation = self.cipher.pseudonym(received.sender)
        if not await self.state.first_contact(conversation):
            return
        notice = Message(text=PRIVACY_NOTICE.format(url=self.privacy_url))
        try:
            await self.output.channel.send_session(received.sender, conversation, notice)
        except Exception as exc:  # never a reason to run the turn again
            logger.error("privacy notice to %s not sent: %r", mask_phone(conversation), exc)
            await self.state.not_noticed(conversation)

    async def recover(self, on_new_message: OnNewMessage) -> int:
        """Runs the accepted messages whose process died before their turn ended;
        the number run again."""
        run = 0
        for sid, form in await self.state.stranded(older_than=self.state.lease_ttl):
            received = inbound.parse(form)
            if await self._saved(received):
                # Died between saving the turn and marking it done: its
                # replies went out before the save (Rasa sends them as each
                # action runs), so running it again would answer it twice.
                logger.warning("WhatsApp message %s was answered before its process died", sid)
                await self.state.done(sid, received.sender)
                continue
            logger.warning("WhatsApp message %s was not finished; running it again", sid)
            self._start(self._handle(received, on_new_message))
            run += 1
        return run

    async def _saved(self, received: inbound.Inbound) -> bool:
        """Whether the message's turn is in its conversation's stored tracker
        (and then published again, in case the dead replica had not)."""
        store = self.trackers()
        if store is None:
            return False
        conversation = self.cipher.pseudonym(received.sender)
        try:
            return await turn_published_again(store, conversation, received.message_sid)
        except Exception as exc:  # unknown: run it again rather than lose it
            logger.warning("tracker store unavailable, message run again: %r", exc)
            return False

    async def _recover_forever(self, on_new_message: OnNewMessage) -> None:
        while True:
            try:
                await self.recover(on_new_message)
            except Exception:  # a bad round must not stop the next one
                logger.exception("recovering stranded WhatsApp messages failed")
            await asyncio.sleep(self.recover_every)

    async def _process(self, received: inbound.Inbound, on_new_message: OnNewMessage) -> None:
        # From here on the conversation only knows the pseudonym and the
        # sealed number (lapor/contact.py).
        conversation = self.cipher.pseudonym(received.sender)
        sealed = self.cipher.seal(received.sender)
        await self.state.remember_contact(conversation, sealed)
        await self.state.touch(conversation)
        metadata: Dict[str, Any] = {"profile_name": received.profile_name, "contact": sealed}
        # What the message meant when it was first run (a numbered choice
        # means the buttons shown then): a message run again after its replica
        # died must not be read against the buttons its first run sent.
        text = await self.state.first_reading(
            received.message_sid, lambda: self._text(received, conversation)
        )
        if received.location:
            metadata["location"] = received.location
        if received.media:
            photos, voice = await self._store_media(received)
            if photos:
                metadata["media_urls"] = photos
                text = text or inbound.PHOTO_PAYLOAD
            if voice:
                # Apart from the photos: the report form's photo step reads
                # only media_urls. A caption stays the text, as with photos.
                metadata["voice_urls"] = voice
                text = text or inbound.VOICE_PAYLOAD
        if not text:
            if not received.media:  # a refused photo or voice note already got its answer
                await self.output.send_text_message(received.sender, UNSUPPORTED)
            return
        message = UserMessage(
            text,
            self.output,
            conversation,
            input_channel=self.name(),
            message_id=received.message_sid,
            metadata=metadata,
        )
        await on_new_message(seal_message(message, self.cipher))

    async def _text(self, received: inbound.Inbound, conversation: str) -> str:
        if received.button_payload:
            return received.button_payload
        if received.location:
            return inbound.location_payload(received.location)
        if received.body:
            buttons = await self.state.buttons(conversation)
            chosen = formatting.choose_button(received.body, buttons)
            # A typed "/intent{...}" is a command only if the bot offered it.
            offered = [b["payload"] for b in buttons]
            return chosen or commands.sanitize(received.body, offered)
        return ""

    async def _store_media(self, received: inbound.Inbound) -> Tuple[List[str], List[str]]:
        """The stored URLs of the message's photos and of its voice notes."""
        photos: List[str] = []
        voice: List[str] = []
        for item in received.media:
            # Any declared audio is answered as a voice note, a type not taken too.
            is_voice = audio.base_type(item.content_type).startswith("audio/")
            try:
                data, content_type = await self.output.client.fetch_media(item.url)
                url = await self.media.store(data, content_type)
            except (MediaRejected, MediaRefused) as exc:
                what = "voice note" if is_voice else "photo"
                logger.info("%s from %s refused: %s", what, mask_phone(received.sender), exc)
                await self._refused(received, is_voice)
                continue
            except (TwilioError, MediaStoreError) as exc:
                logger.error("media from %s not stored: %s", mask_phone(received.sender), exc)
                continue
            # What Twilio served decides, not what the webhook declared.
            (voice if audio.is_audio_type(content_type) else photos).append(url)
        return photos, voice

    async def _refused(self, received: inbound.Inbound, is_voice: bool) -> None:
        mb = self.config.max_media_bytes // (1024 * 1024)
        refusal = VOICE_REFUSED if is_voice else PHOTO_REFUSED
        await self.output.send_text_message(received.sender, refusal.format(mb=mb))

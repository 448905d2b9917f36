"""The backend's Sanic application factory."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Awaitable, Callable, Coroutine, List, Sequence

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import (
    bot_api,
    closure,
    console,
    deadlines,
    limits,
    live,
    media,
    notify,
    open311,
    openapi,
    outbound,
    privacy_notice,
    retention,
    staff,
    statistik,
    widget,
)
from backend.context import AppContext, context
from backend.editor import worker_api
from backend.editor.data_repo import DataRepo
from backend.emergency import agencies, escalation, sends
from backend.emergency import api as emergency_api
from backend.errors import install_error_handlers
from backend.settings import BackendSettings
from backend.voice import messages as voice_messages
from backend.voice import webhooks as voice_webhooks
from backend.voice.line import line_from
from lapor import http, waits
from lapor.catalogue import Catalogue, load_catalogue
from lapor.contact import ContactCipher
from lapor.conversations import RasaConversations
from lapor.db import create_engine
from lapor.outbound import Outbound
from lapor.periodic import repeat
from lapor.settings import MiB
from lapor.whatsapp.twilio import TwilioClient, TwilioConfig
from lapor.wilayah import load_wilayah

logger = logging.getLogger(__name__)

PRUNE_EVERY = 600.0  # seconds between deletions of rate counters of past windows
STOP_WAIT = 5.0  # seconds a background round in progress may take to finish at shutdown


def create_app(settings: BackendSettings, name: str = "lapor-backend") -> Sanic:
    # Read the data files now, so a broken services.yml stops start-up with
    # its message instead of failing the first request.
    catalogue = load_catalogue(settings.services_file)
    wilayah = load_wilayah(settings.gazetteer_file)
    directory = agencies.load(settings.agencies_file)
    steps = deadlines.load(settings.deadlines_file)
    voice_line = line_from(settings)
    closure_wait = waits.load(settings.deadlines_file).closure
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Photos up to their limit, with room for the form around them.
    app.config.REQUEST_MAX_SIZE = settings.max_photo_bytes + 3 * MiB
    # The client's address (rate limits) comes from trusted proxies only.
    app.config.PROXIES_COUNT = settings.proxies_count
    app.blueprint(open311.bp)
    app.blueprint(staff.bp)
    app.blueprint(media.bp)
    app.blueprint(widget.bp)
    app.blueprint(openapi.bp)
    app.blueprint(console.blueprint())
    app.blueprint(privacy_notice.bp)
    app.blueprint(statistik.bp)
    app.blueprint(emergency_api.bp)
    app.blueprint(bot_api.bp)
    app.blueprint(worker_api.bp)
    app.blueprint(voice_webhooks.bp)
    app.ctx.voice_line = voice_line
    widget.install_cors(app, settings.widget_origins)
    app.add_route(health, "/health", methods=["GET"])
    install_error_handlers(app)

    @app.before_server_start
    async def _connect(app: Sanic, _loop: object) -> None:
        # Engines bind to the running loop: never create them at import time.
        app.ctx.backend = AppContext(
            settings,
            catalogue,
            wilayah,
            create_engine(settings.database_url),
            ContactCipher.from_settings(settings),
            directory,
            DataRepo(settings.nlu_data_repo),
        )

    @app.after_server_start
    async def _start_background(app: Sanic, _loop: object) -> None:
        engine = app.ctx.backend.engine
        # Sleeping jobs: cancelled at shutdown.
        sleepers: List[Coroutine[Any, Any, None]] = [
            _later(lambda: limits.prune(engine), "old rate counters"),
            _later(lambda: live.prune(engine), "old live events"),
            _later(
                lambda: retention.purged_total(engine, settings),
                "retention purge",
                settings.purge_interval,
            ),
        ]
        out = outbound.build(settings, app.ctx.backend.cipher)
        app.ctx.senders = emergency_senders(settings, out, app.ctx.backend.cipher)
        # Jobs that run from the start: at shutdown they finish the round in hand
        # (it may hold a database connection) and stop (see _disconnect).
        app.ctx.stopping = stopping = asyncio.Event()
        every = settings.emergency_check_interval
        rounds = [
            repeat(lambda: _escalate(app.ctx.backend), every, "emergency escalation", stopping),
            repeat(lambda: sends.flush(engine, app.ctx.senders), every, "incident sends", stopping),
        ]
        if out.channels:
            notices = lambda: notify.flush(engine, out)  # noqa: E731
            rounds.append(repeat(notices, settings.notify_interval, "notices", stopping))
            cipher = app.ctx.backend.cipher
            after_calls = lambda: voice_messages.flush(engine, out, cipher)  # noqa: E731
            rounds.append(
                repeat(after_calls, settings.notify_interval, "voice call messages", stopping)
            )
        else:
            # Nothing can be sent yet: notices wait, pending, for a channel to be configured.
            logger.info("no channel to reach citizens is configured: status notices stay queued")
        late = lambda: _late_tickets(engine, steps, closure_wait, catalogue, out)  # noqa: E731
        rounds.append(repeat(late, settings.deadline_check_interval, "late tickets", stopping))
        app.ctx.rounds = [asyncio.create_task(job) for job in rounds]
        app.ctx.sleepers = [asyncio.create_task(job) for job in sleepers]

    @app.after_server_stop
    async def _disconnect(app: Sanic, _loop: object) -> None:
        rounds = getattr(app.ctx, "rounds", [])
        if rounds:
            app.ctx.stopping.set()
            await asyncio.wait(rounds, timeout=STOP_WAIT)
        background = [*rounds, *getattr(app.ctx, "sleepers", [])]
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if hasattr(app.ctx, "live_hub"):
            await app.ctx.live_hub.stop()
        await app.ctx.backend.engine.dispose()
        await http.close()

    return app


def emergency_senders(
    settings: BackendSettings, out: Outbound, cipher: ContactCipher
) -> sends.Senders:
    voice = TwilioConfig.from_settings(settings)
    client = TwilioClient(voice) if voice.account_sid and voice.voice_from else None
    return sends.Senders(
        out, RasaConversations(settings.rasa_url, settings.rasa_token), cipher, client
    )


async def _late_tickets(
    engine: AsyncEngine,
    steps: Sequence[deadlines.Step],
    closure_wait: timedelta,
    catalogue: Catalogue,
    out: Outbound,
) -> int:
    """Overdue tickets escalate; closure checks past their wait expire."""
    escalated = await deadlines.escalate_due(engine, steps, catalogue)
    sent = await deadlines.send_alerts(engine, out) if out.channels else 0
    expired = await closure.expire_waiting(engine, closure_wait)
    return len(escalated) + sent + expired


async def _escalate(ctx: AppContext) -> int:
    escalated = await escalation.escalate_due(
        ctx.engine,
        timedelta(seconds=ctx.settings.emergency_accept_seconds),
        ctx.settings.emergency_supervisor_phone,
        ctx.agencies,
    )
    return len(escalated)


async def _later(
    prune: Callable[[], Awaitable[int]], what: str, every: float = PRUNE_EVERY
) -> None:
    # Not at start: nothing is old yet, and short-lived (test) apps never need it.
    await asyncio.sleep(PRUNE_EVERY)
    await repeat(prune, every, what)


async def health(request: Request) -> HTTPResponse:
    """Readiness: answers 200 only when the database answers."""
    ctx = context(request)
    try:
        async with ctx.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        logger.error("health check: database unreachable: %s", exc)
        return json({"status": "unavailable", "database": "unreachable"}, status=503)
    return json({"status": "ok", "database": "ok"})

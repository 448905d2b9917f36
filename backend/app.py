"""The backend's Sanic application factory."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Coroutine, List

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy import text

from backend import (
    console,
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
    widget,
)
from backend.context import AppContext, context
from backend.errors import install_error_handlers
from backend.settings import BackendSettings
from lapor import http
from lapor.catalogue import load_catalogue
from lapor.contact import ContactCipher
from lapor.db import create_engine
from lapor.periodic import repeat
from lapor.settings import MiB
from lapor.wilayah import load_wilayah

logger = logging.getLogger(__name__)

PRUNE_EVERY = 600.0  # seconds between deletions of rate counters of past windows


def create_app(settings: BackendSettings, name: str = "lapor-backend") -> Sanic:
    # Read the data files now, so a broken services.yml stops start-up with
    # its message instead of failing the first request.
    catalogue = load_catalogue(settings.services_file)
    wilayah = load_wilayah(settings.gazetteer_file)
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
        )

    @app.after_server_start
    async def _start_background(app: Sanic, _loop: object) -> None:
        engine = app.ctx.backend.engine
        jobs: List[Coroutine[Any, Any, None]] = [
            _later(lambda: limits.prune(engine), "old rate counters"),
            _later(lambda: live.prune(engine), "old live events"),
            _later(
                lambda: retention.purged_total(engine, settings),
                "retention purge",
                settings.purge_interval,
            ),
        ]
        out = outbound.build(settings, app.ctx.backend.cipher)
        if out.channels:
            jobs.append(
                repeat(lambda: notify.flush(engine, out), settings.notify_interval, "notices")
            )
        else:
            # Nothing can be sent yet: notices wait, pending, for a channel to be configured.
            logger.info("no channel to reach citizens is configured: status notices stay queued")
        # Kept, so that stopping the server cancels them instead of leaving them pending.
        app.ctx.background = [asyncio.create_task(job) for job in jobs]

    @app.after_server_stop
    async def _disconnect(app: Sanic, _loop: object) -> None:
        for task in getattr(app.ctx, "background", []):
            task.cancel()
        await asyncio.gather(*getattr(app.ctx, "background", []), return_exceptions=True)
        if hasattr(app.ctx, "live_hub"):
            await app.ctx.live_hub.stop()
        await app.ctx.backend.engine.dispose()
        await http.close()

    return app


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

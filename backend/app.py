"""The backend's Sanic application factory."""

from __future__ import annotations

import logging

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy import text

from backend import media, notify, open311, staff, widget
from backend.config import Settings, load_settings
from backend.context import AppContext, context
from backend.errors import install_error_handlers
from lapor.catalogue import load_catalogue
from lapor.db import create_engine
from lapor.periodic import repeat
from lapor.wilayah import load_wilayah

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, name: str = "lapor-backend") -> Sanic:
    settings = settings or load_settings()
    # Read the data files now, so a broken services.yml stops start-up with
    # its message instead of failing the first request.
    catalogue = load_catalogue(settings.services_file)
    wilayah = load_wilayah(settings.gazetteer_file)
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Photos up to the media limit, with room for the form around them.
    app.config.REQUEST_MAX_SIZE = 8 * 1024 * 1024
    app.blueprint(open311.bp)
    app.blueprint(staff.bp)
    app.blueprint(media.bp)
    app.blueprint(widget.bp)
    app.add_route(health, "/health", methods=["GET"])
    install_error_handlers(app)

    @app.before_server_start
    async def _connect(app: Sanic, _loop: object) -> None:
        # Engines bind to the running loop: never create them at import time.
        app.ctx.backend = AppContext(
            settings, catalogue, wilayah, create_engine(settings.database_url)
        )
        if settings.api_key_is_default:
            logger.warning("OPEN311_API_KEY is not set: using the development key")

    @app.after_server_start
    async def _start_notifier(app: Sanic, _loop: object) -> None:
        from lapor.whatsapp.sender import WhatsAppSender

        sender = WhatsAppSender.from_env()
        if sender is None:
            logger.info("TWILIO_* not set: WhatsApp status notices stay queued")
            return
        warning = notify.template_warning(sender)
        if warning:
            logger.warning(warning)
        engine = app.ctx.backend.engine
        app.add_task(
            repeat(lambda: notify.flush(engine, sender), settings.notify_interval, "notices")
        )

    @app.after_server_stop
    async def _disconnect(app: Sanic, _loop: object) -> None:
        await app.ctx.backend.engine.dispose()

    return app


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

"""What every request handler needs, attached to the app by create_app."""

from __future__ import annotations

from dataclasses import dataclass

from sanic.request import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.config import Settings
from lapor.catalogue import Catalogue
from lapor.wilayah import Wilayah


@dataclass
class AppContext:
    settings: Settings
    catalogue: Catalogue
    wilayah: Wilayah
    engine: AsyncEngine


def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.ctx.backend
    return ctx

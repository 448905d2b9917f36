"""What every request handler needs, attached to the app by create_app."""

from __future__ import annotations

from dataclasses import dataclass

from sanic.request import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.editor.data_repo import DataRepo
from backend.emergency.agencies import Directory
from backend.settings import BackendSettings
from lapor.catalogue import Catalogue
from lapor.contact import ContactCipher
from lapor.wilayah import Wilayah


@dataclass
class AppContext:
    settings: BackendSettings
    catalogue: Catalogue
    wilayah: Wilayah
    engine: AsyncEngine
    # Opens the phone numbers the chat channels send sealed.
    cipher: ContactCipher
    # Who 112 dispatches for which emergency (data/agencies.yml).
    agencies: Directory
    # The training data's git working copy (the content editors' tool).
    data_repo: DataRepo


def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.ctx.backend
    return ctx

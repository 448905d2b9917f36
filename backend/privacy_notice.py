"""The privacy notice for citizens: `GET /privasi` (linked from the chat widget
and sent once on WhatsApp, on first contact).

UU No. 27 Tahun 2022 (Pelindungan Data Pribadi) asks that people be told what is
collected, why, who sees it, how long it is kept and how to use their rights.
The periods are read from the settings the purge uses (backend/retention.py),
so the page cannot promise something the purge does not do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, file

from backend import render
from backend.context import context
from backend.settings import BackendSettings

STYLESHEET = Path(__file__).resolve().parent / "static" / "privasi.css"

bp = Blueprint("privacy_notice")


def period(days: int) -> str:
    """How long, as a citizen says it: '90 hari', '6 bulan', '1 tahun', '2 tahun'."""
    if days % 365 == 0:
        return f"{days // 365} tahun"
    if days % 30 == 0 and days >= 60:
        return f"{days // 30} bulan"
    return f"{days} hari"


def periods(settings: BackendSettings) -> Dict[str, str]:
    return {
        "conversation": period(settings.retention_conversation_days),
        "ticket": period(settings.retention_ticket_days),
        "media": period(min(settings.retention_media_days, settings.retention_ticket_days)),
        "audit": period(settings.retention_audit_days),
        "notification": period(settings.retention_notification_days),
        "incident": period(settings.retention_incident_days),
    }


@bp.get("/privasi")
async def notice(request: Request) -> HTTPResponse:
    settings = context(request).settings
    return render.page(
        "privasi.html",
        {"periods": periods(settings), "contact": settings.privacy_contact},
        # Public and the same for everyone: a cheap phone may keep it a while.
        headers={"Cache-Control": "public, max-age=300"},
    )


@bp.get("/privasi.css")
async def stylesheet(request: Request) -> HTTPResponse:
    return await file(
        STYLESHEET,
        mime_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )

"""The public figures page, `GET /statistik` (no login): how many reports
each department received and closed, per kelurahan, how long closing took,
and the map. Transparency is how the city shows it answers; nothing on the
page is personal, and small counts are hidden (backend/monev/public.py)."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Optional, Sequence

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, file

from backend import limits, render
from backend.context import context
from backend.kelurahan_map import Map
from backend.limits import Limit, LimitExceeded
from backend.monev import period as periods
from backend.monev import public
from backend.monev import table as figure_table
from backend.monev.table import Table
from backend.monev.tickets import load
from backend.net import limit_address
from lapor.timeutil import utcnow

STYLESHEET = Path(__file__).resolve().parent / "static" / "statistik.css"
DEFAULT_DAYS = 90
PRESETS = ((30, "30 hari"), (90, "90 hari"), (365, "1 tahun"))
# The same for everyone: browsers and any cache in front may keep it five minutes.
CACHE = {"Cache-Control": "public, max-age=300"}

HOUR = timedelta(hours=1)
TOO_MANY = (
    "Mohon maaf, halaman ini sudah terlalu sering dibuka dari jaringan Bapak/Ibu dalam satu "
    "jam terakhir. Silakan coba lagi sekitar {minutes} menit lagi."
)

bp = Blueprint("statistik")


@bp.get("/statistik")
async def figures(request: Request) -> HTTPResponse:
    ctx = context(request)
    limit = Limit("statistik", ctx.settings.statistik_per_hour, HOUR)
    try:
        await limits.check(ctx.engine, limit, f"address:{limit_address(request)}")
    except LimitExceeded as exc:
        wait = max(1, math.ceil(exc.retry_after.total_seconds() / 60))
        return _render(
            periods.default(DEFAULT_DAYS), problem=TOO_MANY.format(minutes=wait), status=429
        )
    try:
        chosen = periods.from_args(request.args, DEFAULT_DAYS)
    except periods.PeriodError as problem:
        return _render(periods.default(DEFAULT_DAYS), problem=str(problem), status=400)
    async with ctx.engine.connect() as conn:
        cohort = await load(conn, chosen, utcnow())
    tables = [
        public.headline(cohort),
        public.per_department(cohort, ctx.catalogue),
        public.per_kelurahan(cohort, ctx.wilayah),
    ]
    return _render(chosen, tables, public.map_of(cohort, ctx.wilayah))


def _render(
    chosen: periods.Period,
    tables: Sequence[Table] = (),
    drawn: Optional[Map] = None,
    problem: str = "",
    status: int = 200,
) -> HTTPResponse:
    return render.page(
        "statistik.html",
        {
            "tables": tables,
            "map": drawn,
            "period": chosen,
            "problem": problem,
            "presets": [(label, periods.default(days).query()) for days, label in PRESETS],
            "cell": figure_table.cell,
            "shown": public.shown,
        },
        status=status,
        headers=CACHE if status == 200 else None,
    )


@bp.get("/statistik.css")
async def stylesheet(request: Request) -> HTTPResponse:
    return await file(STYLESHEET, mime_type="text/css", headers=CACHE)

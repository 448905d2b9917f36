"""The public figures page, `GET /statistik` (no login): how many reports
each department received and closed, per kelurahan, how long closing took,
and the map. Transparency is how the city shows it answers; nothing on the
page is personal, and small counts are hidden (backend/monev/public.py)."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, file

from backend import render
from backend.context import context
from backend.monev import period as periods
from backend.monev import public
from backend.monev import table as figure_table
from backend.monev.tickets import load
from lapor.timeutil import utcnow

STYLESHEET = Path(__file__).resolve().parent / "static" / "statistik.css"
DEFAULT_DAYS = 90
PRESETS = ((30, "30 hari"), (90, "90 hari"), (365, "1 tahun"))
# The same for everyone and cheap to keep: a crowd of readers costs one query per 5 minutes each.
CACHE = {"Cache-Control": "public, max-age=300"}

bp = Blueprint("statistik")


@bp.get("/statistik")
async def figures(request: Request) -> HTTPResponse:
    ctx = context(request)
    args = {name: request.args.get(name, "") for name in ("dari", "sampai")}
    try:
        chosen = periods.from_args(args, DEFAULT_DAYS)
    except periods.PeriodError as problem:
        chosen, message = periods.default(DEFAULT_DAYS), str(problem)
        return _render(None, chosen, message, 400)
    async with ctx.engine.connect() as conn:
        cohort = await load(conn, chosen, utcnow())
    tables = [
        public.headline(cohort),
        public.per_department(cohort, ctx.catalogue),
        public.per_kelurahan(cohort, ctx.wilayah),
    ]
    return _render((tables, public.map_of(cohort, ctx.wilayah)), chosen)


def _render(
    found: object, chosen: periods.Period, problem: str = "", status: int = 200
) -> HTTPResponse:
    tables, drawn = found if isinstance(found, tuple) else ([], None)
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

"""Monitoring and evaluation (issue 18): the figures Diskominfo reviews, for
a chosen period compared with the one before; every table as CSV; and a
printable report for the meeting. Roles `monev` and `admin`.

The figures are computed by backend/monev/ (read-only queries); this module
only reads the period from the request and renders.
"""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw

from backend.console import views
from backend.console.access import page
from backend.context import context
from backend.monev import period as periods
from backend.monev import table as figure_table
from backend.monev.views import TABLES, VIEWS, Sources, View, build
from lapor.timeutil import utcnow

bp = Blueprint("console_monev", url_prefix="/console/monev")
ROLES = frozenset({"monev", "admin"})
PRESETS = ((7, "7 hari"), (30, "30 hari"), (90, "90 hari"), (365, "1 tahun"))


def sources(request: Request) -> Sources:
    ctx = context(request)
    return Sources(
        ctx.catalogue, ctx.wilayah, ctx.agencies, ctx.settings.editor_inbox_confidence, utcnow()
    )


async def _view_page(request: Request, key: str) -> HTTPResponse:
    title = next(label for k, label, _ in VIEWS if k == key)
    try:
        chosen = periods.from_args(request.args)
    except periods.PeriodError as problem:
        return _page(request, key, f"Monev · {title}", None, periods.default(), str(problem), 400)
    view = await build(context(request).engine, key, chosen, sources(request))
    return _page(request, key, f"Monev · {title}", view, chosen)


def _page(
    request: Request,
    key: str,
    title: str,
    view: Optional[View],
    chosen: periods.Period,
    problem: Optional[str] = None,
    status: int = 200,
) -> HTTPResponse:
    return views.show(
        request,
        "console/monev.html",
        status,
        title=title,
        view=view,
        current=key,
        tabs=[(k, label) for k, label, _ in VIEWS],
        period=chosen,
        presets=[(label, periods.default(days).query()) for days, label in PRESETS],
        problem=problem,
        dari=request.args.get("dari", chosen.first.isoformat()),
        sampai=request.args.get("sampai", chosen.last.isoformat()),
        cell=figure_table.cell,
    )


def _view_route(key: str) -> None:
    """/console/monev for the summary, /console/monev/<key> for the other views."""

    async def view(request: Request, person: Any) -> HTTPResponse:
        return await _view_page(request, key)

    page(bp, "" if key == "ringkasan" else f"/{key}", ROLES, name=f"view_{key}")(view)


for _view in VIEWS:
    _view_route(_view[0])


@page(bp, "/csv/<name>", ROLES)
async def csv(request: Request, person: Any, name: str) -> HTTPResponse:
    """One table as CSV, named after the table and the period."""
    view_key = TABLES.get(name)
    if view_key is None:
        return views.error(request, 404, "Tabel ini tidak ada. Pilih tautan CSV di dasbor monev.")
    try:
        chosen = periods.from_args(request.args)
    except periods.PeriodError as problem:
        return views.error(request, 400, str(problem))
    view = await build(context(request).engine, view_key, chosen, sources(request))
    found = view.table(name)
    if found is None:  # TABLES and the views disagree: a test guards against it
        return views.error(request, 404, "Tabel ini tidak ada. Pilih tautan CSV di dasbor monev.")
    filename = f"monev-{name}-{chosen.first.isoformat()}-{chosen.last.isoformat()}.csv"
    return raw(
        figure_table.to_csv(found).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@page(bp, "/cetak", ROLES)
async def report(request: Request, person: Any) -> HTTPResponse:
    """Every view of the period on one page that prints on A4."""
    try:
        chosen = periods.from_args(request.args)
    except periods.PeriodError as problem:
        return views.error(request, 400, str(problem))
    engine, found = context(request).engine, sources(request)
    # Each view on its own connection, at once: the report takes as long as its slowest view.
    built: List[View] = list(
        await asyncio.gather(*(build(engine, key, chosen, found) for key, _, _ in VIEWS))
    )
    return views.show(
        request,
        "console/monev_print.html",
        title="Laporan monev",
        views_=built,
        period=chosen,
        made_at=found.now,
        cell=figure_table.cell,
    )

"""Places the city hears about again and again: the duplicate clusters
(reports merged into one ticket, backend/merging.py) of the period."""

from __future__ import annotations

from typing import Any, List, Tuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.monev.period import Period
from backend.monev.table import COUNT, Column, Table
from backend.tables import tickets
from lapor.catalogue import Catalogue
from lapor.wilayah import Wilayah

TOP = 10


async def repeated(
    conn: AsyncConnection, period: Period, catalogue: Catalogue, wilayah: Wilayah
) -> Table:
    t = tickets.c
    merged = (
        select(t.merged_into_id, func.count().label("n"))
        .where(t.merged_into_id.is_not(None))
        .where(t.requested_at >= period.start, t.requested_at < period.end)
        .group_by(t.merged_into_id)
        .order_by(func.count().desc(), t.merged_into_id)
        .limit(TOP)
        .subquery()
    )
    statement = (
        select(t.service_request_id, t.service_code, t.kelurahan_code, t.address, merged.c.n)
        .join(merged, merged.c.merged_into_id == t.id)
        .order_by(merged.c.n.desc(), t.id)
    )
    rows: List[Tuple[Any, ...]] = []
    for ticket_id, code, kelurahan, address, count in (await conn.execute(statement)).all():
        service = catalogue.service(code)
        area = wilayah.by_code(kelurahan) if kelurahan else None
        rows.append(
            (
                ticket_id,
                service.name if service else code,
                area.name if area else "",
                address or "",
                count + 1,
            )
        )
    columns = (
        Column("Laporan induk"),
        Column("Kategori"),
        Column("Kelurahan"),
        Column("Alamat"),
        Column("Laporan tentang tempat ini", COUNT),
    )
    note = (
        f"{TOP} tempat dengan laporan serupa terbanyak yang digabung pada periode ini "
        "(laporan induk ditambah laporan yang digabung ke dalamnya)."
    )
    return Table("tempat_berulang", "Tempat yang berulang dilaporkan", columns, rows, note)

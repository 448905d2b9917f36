"""Moving a ticket to the department that should handle it.

A department that finds a ticket is not theirs transfers it, with a reason:
to the right department when it knows which, or to Diskominfo's triage
(the department of the "Lainnya" category, which also sorts those). The move,
its history entry, the receiving department's live alert and the audit record
are one transaction. The SLA deadline stays: the citizen's wait does not
start again because the city routed it twice; the escalation clock does.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import people
from backend.tables import tickets
from backend.tickets import Ticket, announce, locked, record_event
from lapor.catalogue import Catalogue
from lapor.timeutil import utcnow

TRIAGE_DEPARTMENT = "diskominfo"  # the "other" category's department (data/services.yml)
TRANSFER = "transfer"
MAX_REASON = 1000


class RoutingError(ValueError):
    """A transfer that cannot be made; the message is for the person (Indonesian)."""


async def transfer(
    engine: AsyncEngine,
    catalogue: Catalogue,
    service_request_id: str,
    to_department: str,
    reason: str,
    actor: str,
    scope: Optional[str],
) -> Ticket:
    """Moves the ticket; `scope` is the mover's department (None: triage and admins, any)."""
    why = (reason or "").strip()
    if not why:
        raise RoutingError("Tulis alasan pengalihan.")
    if len(why) > MAX_REASON:
        raise RoutingError(f"Alasan terlalu panjang (paling banyak {MAX_REASON} huruf).")
    target = catalogue.departments.get(to_department)
    if target is None:
        raise RoutingError("Dinas tujuan tidak dikenal. Pilih dari daftar.")
    now = utcnow()
    async with engine.begin() as conn:
        row = await locked(conn, service_request_id, scope)
        if row.agency_responsible == to_department:
            raise RoutingError("Laporan ini sudah berada di dinas tersebut.")
        if row.status != "open":
            raise RoutingError("Laporan yang sudah ditutup tidak dapat dialihkan.")
        source = catalogue.departments.get(row.agency_responsible)
        await conn.execute(
            update(tickets)
            .where(tickets.c.id == row.id)
            .values(agency_responsible=to_department, escalation_level=0, escalated_at=None)
        )
        origin = source.name if source else row.agency_responsible
        note = f"Dialihkan dari {origin} ke {target.name}: {why}"
        await record_event(conn, row.id, row.workflow_status, note, actor, now, kind=TRANSFER)
        await people.audit(
            conn,
            actor,
            "ticket.transfer",
            "ticket",
            service_request_id,
            {"from": row.agency_responsible, "to": to_department},
            now,
        )
        # The receiving department hears it; the one it left sees it leave.
        source_code = row.agency_responsible
        for department in (to_department, source_code):
            await announce(
                conn, row, "transferred", department, to=to_department, **{"from": source_code}
            )
        moved = (await conn.execute(select(tickets).where(tickets.c.id == row.id))).one()
    return Ticket.from_row(moved)

"""Merging a duplicate into the ticket that carries on.

Staff who see that two tickets report the same problem ("kemungkinan
duplikat", backend/duplicates.py) merge the newer into the older: the
duplicate is closed as `duplikat` with a note naming the surviving ticket
(its reporter is told, as for any status change), the survivor's history
records it, and from then on the duplicate's reporter hears of the
survivor's progress too (backend/tickets.py `change_status`). One
transaction; both tickets are locked in id order, so two merges never
deadlock.
"""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import notify, people, workflow
from backend.tables import tickets
from backend.tickets import NotYourTicket, TicketNotFound, announce, record_event
from lapor.timeutil import utcnow

MERGE = "merge"


class MergeError(ValueError):
    """A merge that cannot be made; the message is for the person (Indonesian)."""


async def merge(
    engine: AsyncEngine,
    duplicate: str,
    survivor: str,
    actor: str,
    scope: Optional[str],
    tell_reporter: bool = True,
) -> None:
    """Closes `duplicate` as a duplicate of `survivor` (both seen by `scope`; None: any).
    `tell_reporter` False: the reporter chose it in the chat and was told there."""
    if duplicate == survivor:
        raise MergeError("Laporan tidak dapat digabung dengan dirinya sendiri.")
    now = utcnow()
    async with engine.begin() as conn:
        dup, keep = await _both(conn, duplicate, survivor, scope)
        if keep.status != "open" or keep.merged_into_id is not None:
            raise MergeError(
                f"Laporan {survivor} sudah ditutup; pilih laporan yang masih berjalan."
            )
        note = (
            f"Laporan yang sama sudah kami terima sebagai {survivor} dan sedang ditangani di sana."
        )
        try:
            workflow.check_transition(dup.workflow_status, workflow.DUPLICATE, note)
        except workflow.TransitionError:
            raise MergeError(
                f"Laporan {duplicate} tidak dapat ditandai duplikat dari statusnya sekarang."
            ) from None
        await conn.execute(
            update(tickets)
            .where(tickets.c.id == dup.id)
            .values(
                workflow_status=workflow.DUPLICATE,
                status=workflow.OPEN311_STATUS[workflow.DUPLICATE],
                status_notes=note,
                merged_into_id=keep.id,
                updated_at=now,
            )
        )
        await record_event(conn, dup.id, workflow.DUPLICATE, note, actor, now)
        await record_event(
            conn, keep.id, keep.workflow_status, f"Laporan {duplicate} digabung ke laporan ini.",
            actor, now, kind=MERGE,
        )  # fmt: skip
        if tell_reporter:
            await notify.enqueue(conn, dup, workflow.DUPLICATE, note, now)
        await people.audit(
            conn, actor, "ticket.merge", "ticket", duplicate, {"into": survivor}, now
        )
        await announce(conn, dup, "merged", into=survivor)


async def _both(conn: AsyncConnection, duplicate: str, survivor: str, scope: Optional[str]) -> Any:
    rows = (
        await conn.execute(
            select(tickets)
            .where(tickets.c.service_request_id.in_([duplicate, survivor]))
            .order_by(tickets.c.id)
            .with_for_update()
        )
    ).all()
    found = {row.service_request_id: row for row in rows}
    for number in (duplicate, survivor):
        row = found.get(number)
        if row is None:
            raise TicketNotFound(number)
        if scope is not None and row.agency_responsible != scope:
            raise NotYourTicket(number)
    return found[duplicate], found[survivor]

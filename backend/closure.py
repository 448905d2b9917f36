"""The reporter confirms the fix: "Apakah masalahnya sudah beres?"

When staff mark a ticket done (backend/tickets.change_status), the reporter
is asked, and the ticket's `closure_state` is `waiting`. Their answer comes
back from the bot's `closure_form` (backend/bot_api.py):

- fixed: `confirmed`, with their 1-5 rating of the handling if they gave one;
- not fixed: `reopened`, the ticket back to "diproses" with their own words
  in its history, so the department sees what is still wrong;
- no answer within `closure_wait_days` (data/deadlines.yml, lapor/waits.py):
  `expired`, and the ticket stays done.

Each is written in one transaction with its history entry and live event;
the counts and ratings per department are read by `summary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import workflow
from backend.asking import CITIZEN
from backend.tables import tickets
from backend.tickets import CLOSURE_WAITING, announce, locked, record_event
from lapor.timeutil import utcnow

WAITING, CONFIRMED, REOPENED, EXPIRED = CLOSURE_WAITING, "confirmed", "reopened", "expired"
CLOSURE, REOPEN = "closure", "reopen"  # kinds of history entries


class ClosureNotOpen(Exception):
    """The ticket is not waiting for the reporter's word (answered, expired or reopened)."""


@dataclass(frozen=True)
class Summary:
    confirmed: int
    reopened: int
    expired: int
    waiting: int
    ratings: int
    average: Optional[float]  # of the ratings given, None without any


async def record_verdict(
    engine: AsyncEngine,
    service_request_id: str,
    *,
    fixed: bool,
    words: Optional[str] = None,
    rating: Optional[int] = None,
    now: Optional[datetime] = None,
) -> str:
    """The reporter's answer to the closure check; the closure state it leads to."""
    when = now or utcnow()
    async with engine.begin() as conn:
        ticket = await locked(conn, service_request_id, None)
        if ticket.closure_state != WAITING or ticket.workflow_status != workflow.DONE:
            raise ClosureNotOpen(service_request_id)
        values: Dict[str, Any]
        if fixed:
            values = {"closure_state": CONFIRMED, "citizen_rating": rating}
            values.update({"rated_at": when} if rating else {})
            status, kind, note = workflow.DONE, CLOSURE, _confirmed_note(rating, words)
        else:
            values = {
                "closure_state": REOPENED,
                "workflow_status": workflow.IN_PROGRESS,
                "status": workflow.OPEN311_STATUS[workflow.IN_PROGRESS],
                "updated_at": when,
            }
            status, kind = workflow.IN_PROGRESS, REOPEN
            note = f"Dibuka kembali: pelapor menyatakan masalahnya belum beres: “{words or '-'}”"
        await conn.execute(update(tickets).where(tickets.c.id == ticket.id).values(**values))
        await record_event(conn, ticket.id, status, note, CITIZEN, when, kind)
        await announce(conn, ticket, kind)
    return str(values["closure_state"])


def _confirmed_note(rating: Optional[int], words: Optional[str]) -> str:
    note = "Pelapor menyatakan masalahnya sudah beres."
    if rating:
        note += f" Penilaian penanganan: {rating} dari 5."
    return f"{note} “{words}”" if words else note


async def expire_waiting(
    engine: AsyncEngine, wait: timedelta, now: Optional[datetime] = None
) -> int:
    """Closure checks unanswered for `wait`: the ticket stays done. How many."""
    when = now or utcnow()
    days = wait.days
    note = f"Pelapor tidak menjawab konfirmasi dalam {days} hari: laporan tetap selesai."
    expired = 0
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(tickets)
                .where(tickets.c.closure_state == WAITING)
                .where(tickets.c.closure_asked_at <= when - wait)
                .with_for_update(skip_locked=True)  # replicas never expire one twice
            )
        ).all()
        for row in rows:
            await conn.execute(
                update(tickets).where(tickets.c.id == row.id).values(closure_state=EXPIRED)
            )
            await record_event(conn, row.id, row.workflow_status, note, "system", when, CLOSURE)
            await announce(conn, row, CLOSURE)
            expired += 1
    return expired


async def summary(engine: AsyncEngine, department: Optional[str], since: datetime) -> Summary:
    """The reporters' verdicts on tickets closed since `since` (None: every department)."""
    where: List = [tickets.c.closure_asked_at >= since]
    if department:
        where.append(tickets.c.agency_responsible == department)
    counts = (
        select(tickets.c.closure_state, func.count())
        .where(*where, tickets.c.closure_state.is_not(None))
        .group_by(tickets.c.closure_state)
    )
    ratings = select(func.count(tickets.c.citizen_rating), func.avg(tickets.c.citizen_rating))
    async with engine.connect() as conn:
        by_state = dict((await conn.execute(counts)).all())
        rated, average = (await conn.execute(ratings.where(*where))).one()
    return Summary(
        confirmed=by_state.get(CONFIRMED, 0),
        reopened=by_state.get(REOPENED, 0),
        expired=by_state.get(EXPIRED, 0),
        waiting=by_state.get(WAITING, 0),
        ratings=int(rated or 0),
        average=round(float(average), 1) if average is not None else None,
    )

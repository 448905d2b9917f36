"""Canned replies: ready-made notes a department's staff insert into a ticket's
status note ("Lampu sudah kami ganti, terima kasih ..."), kept per department
by its staff_head (backend/console/replies.py).

Every change is written with its audit record in one transaction: the note a
citizen receives may come from here, so who worded it is on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, List, Optional

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import people
from backend.tables import canned_replies
from lapor.timeutil import utcnow

MAX_TITLE = 120
# The reply fills a ticket's note, which holds at most this much (console/tickets.py).
MAX_TEXT = 2000
AUDIT_RECORD = "canned_reply"


@dataclass(frozen=True)
class Reply:
    id: int
    department_code: str
    title: str
    text: str
    updated_at: datetime
    updated_by: str


class ReplyNotFound(LookupError):
    """No such reply in this department (another department's is not found either)."""


def problem(title: str, text: str) -> Optional[str]:
    """What is wrong with a reply as written (in the staff's words), or None."""
    if not title or not text:
        return "Mohon isi judul dan isi balasan."
    if len(title) > MAX_TITLE:
        return f"Judul paling banyak {MAX_TITLE} huruf."
    if len(text) > MAX_TEXT:
        return f"Isi balasan paling banyak {MAX_TEXT} huruf."
    return None


async def of_department(engine: AsyncEngine, department: str) -> List[Reply]:
    """The department's replies, by title."""
    statement = (
        select(canned_replies)
        .where(canned_replies.c.department_code == department)
        .order_by(canned_replies.c.title, canned_replies.c.id)
    )
    async with engine.connect() as conn:
        return [_reply(row) for row in (await conn.execute(statement)).all()]


async def find(engine: AsyncEngine, reply_id: int) -> Optional[Reply]:
    statement = select(canned_replies).where(canned_replies.c.id == reply_id)
    async with engine.connect() as conn:
        row = (await conn.execute(statement)).first()
    return _reply(row) if row else None


async def add(engine: AsyncEngine, department: str, title: str, text: str, actor: str) -> int:
    async with engine.begin() as conn:
        values = {"department_code": department, "title": title, "text": text}
        result = await conn.execute(
            insert(canned_replies).values(**values, updated_at=utcnow(), updated_by=actor)
        )
        reply_id = int(result.inserted_primary_key[0])
        detail = {"department": department, "title": title}
        await people.audit(conn, actor, "reply.add", AUDIT_RECORD, str(reply_id), detail)
    return reply_id


async def edit(
    engine: AsyncEngine, department: str, reply_id: int, title: str, text: str, actor: str
) -> None:
    async with engine.begin() as conn:
        result = await conn.execute(
            update(canned_replies)
            .where(_mine(department, reply_id))
            .values(title=title, text=text, updated_at=utcnow(), updated_by=actor)
        )
        if result.rowcount != 1:
            raise ReplyNotFound(reply_id)
        detail = {"department": department, "title": title}
        await people.audit(conn, actor, "reply.edit", AUDIT_RECORD, str(reply_id), detail)


async def remove(engine: AsyncEngine, department: str, reply_id: int, actor: str) -> None:
    async with engine.begin() as conn:
        result = await conn.execute(delete(canned_replies).where(_mine(department, reply_id)))
        if result.rowcount != 1:
            raise ReplyNotFound(reply_id)
        detail = {"department": department}
        await people.audit(conn, actor, "reply.delete", AUDIT_RECORD, str(reply_id), detail)


def _mine(department: str, reply_id: int) -> Any:
    return (canned_replies.c.id == reply_id) & (canned_replies.c.department_code == department)


def _reply(row: Any) -> Reply:
    return Reply(
        id=row.id,
        department_code=row.department_code,
        title=row.title,
        text=row.text,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )

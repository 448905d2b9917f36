"""The citizen's later messages reach their open incident, through the pipeline.

While the bot is active, and above all while it is paused for an operator,
every message the citizen sends (text, a shared pin, a photo) is stored by
the conversation pipeline; this adds it to the conversation's unresolved
incident in the same transaction, and alerts the operators' consoles. A pin
also moves the incident's place: the latest one the citizen shared wins.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.emergency import incidents
from backend.pipeline.events import USER
from backend.tables import incidents as table
from lapor.timeutil import aware

_i = table.c


async def follow(conn: AsyncConnection, stored: Sequence[Any]) -> int:
    """Adds each stored user message to its conversation's open incident; returns how many."""
    messages = [item.row for item in stored if item.row.kind == USER]
    if not messages:
        return 0
    keys = sorted({row.sender_key for row in messages})
    open_ones = await _unresolved(conn, keys)
    added = 0
    touched: Dict[int, Any] = {}
    for row in messages:
        incident = open_ones.get(row.sender_key)
        # The message that raised the emergency is the incident's own `received`.
        if incident is None or row.at <= aware(incident.received_at):
            continue
        await incidents.citizen_said(conn, incident, row.at, row.text, row.data or {})
        touched[incident.id] = incident
        added += 1
    for incident in touched.values():
        await incidents.publish(conn, incident, "message")
    return added


async def _unresolved(conn: AsyncConnection, keys: List[str]) -> Dict[str, Any]:
    """The newest unresolved incident per conversation."""
    statement = (
        select(table)
        .where(_i.conversation_key.in_(keys), _i.state != incidents.RESOLVED)
        .order_by(_i.id)
    )
    return {row.conversation_key: row for row in await conn.execute(statement)}

"""The voice notes a reporter sent in the chat while filing a ticket, for the
console's ticket page.

A voice note is not a ticket photo (backend/media.py refuses it as a
media_url: a verified ticket's photos are public, a citizen's voice must not
be), so the ticket does not name it. The conversation pipeline keeps it with
the reporter's message (backend/pipeline/events.py, data "voice_urls"), and
a chat ticket's account_id is that conversation's sender key: the ticket's
voice notes are the ones sent after the reporter's previous ticket (at most
a day before this one) and up to this ticket's filing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import List

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.render import voice_paths
from backend.tables import conversation_events, conversations, tickets
from lapor.timeutil import aware

LOOKBACK = timedelta(days=1)  # a report is filed within one session, far less than this
MOST = 10

_t, _e, _c = tickets.c, conversation_events.c, conversations.c


async def of_ticket(engine: AsyncEngine, ticket_id: int) -> List[str]:
    """This site's /media/<id> paths of the ticket's voice notes, oldest first."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(_t.account_id, _t.requested_at).where(_t.id == ticket_id))
        ).first()
        if row is None or not row.account_id:
            return []
        filed = aware(row.requested_at)
        previous = (
            await conn.execute(
                select(func.max(_t.requested_at)).where(
                    _t.account_id == row.account_id, _t.requested_at < row.requested_at
                )
            )
        ).scalar()
        since = max(filed - LOOKBACK, aware(previous) if previous else filed - LOOKBACK)
        said = (
            select(_e.data)
            .join(conversations, _c.id == _e.conversation_id)
            .where(
                _c.sender_key == row.account_id,
                _e.kind == "user",
                _e.at > since,
                _e.at <= filed,
            )
            .order_by(_e.at)
        )
        found: List[str] = []
        for data in (await conn.execute(said)).scalars():
            found += [p for p in voice_paths(data) if p not in found]
        return found[:MOST]

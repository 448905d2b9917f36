"""Daily counts of the conversation pipeline, for the monitoring figures.

A conversation is purged after its retention period (backend/retention.py),
but the city's figures must still count last year's messages. So every
batch the consumer stores also adds to `message_days`, in the same
transaction: per WIB day and the conversation's channel, the conversations
with a first citizen message (new citizens, on WhatsApp: a number's first
message ever), the citizens' messages by intent
and NLU confidence band, the bot's messages and the bot's actions. (The
bot's events carry no channel: they count under their conversation's, which
its first citizen message names.) A redelivered event is
stored once (backend/pipeline/store.py), so it is counted once.

`rebuild` works the same counts out of the stored events at once: migration
0016 fills the table with it, the benchmarks after generating a year, and a
test holds the two ways to the same answer. A conversation counts on the day
it started (`conversations.started_at`), which both ways read and a purge
keeps; the messages of days already purged at the rebuild are gone for good.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import Integer, String, case, cast, delete, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from backend.monev.sql import local_day
from backend.pipeline.events import ACTION, BOT, USER, Row
from backend.tables import conversation_events, conversations, message_days
from lapor import channels
from lapor.timeutil import WIB, aware

CONVERSATION = "conversation"
BANDS = 20  # confidence bands of 0.05
NO_BAND = -1
Key = Tuple[date, str, str, str, int]  # day, channel, kind, name, band


def band(confidence: Optional[float]) -> int:
    """The 0.05-wide band of a confidence (1.0 is band 20); the epsilon keeps
    0.55 * 20 = 10.999... in band 11, where a person puts it."""
    if confidence is None:
        return NO_BAND
    return max(0, min(BANDS, math.floor(confidence * BANDS + 1e-9)))


def key_of(row: Row, channel: Optional[str]) -> Optional[Key]:
    """The count an event adds to, or None for one not counted (sessions).
    `channel`: its conversation's (Rasa's name); the bot's events carry none."""
    if row.kind not in (USER, BOT, ACTION):
        return None
    day = aware(row.at).astimezone(WIB).date()
    where = channels.from_rasa(channel)
    if row.kind == USER:
        return (day, where, USER, row.intent or "", band(row.confidence))
    if row.kind == ACTION:
        return (day, where, ACTION, row.action or "", NO_BAND)
    return (day, where, BOT, "", NO_BAND)


async def add(conn: Any, counts: Counter[Key]) -> None:
    """Add to the day counts, in the caller's transaction. Sorted: two consumer
    replicas lock the same rows in the same order, and never deadlock."""
    if not counts:
        return
    rows = [
        {"day": k[0], "channel": k[1], "kind": k[2], "name": k[3], "band": k[4], "count": n}
        for k, n in sorted(counts.items())
    ]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(message_days).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "channel", "kind", "name", "band"],
        set_={"count": message_days.c.count + statement.excluded.count},
    )
    await conn.execute(statement)


Stored = Tuple[Row, int]  # an event stored now, and its conversation's id


@dataclass(frozen=True)
class Conversation:
    """A conversation as the batch left it (read in its transaction)."""

    citizen_messages: int
    channel: Optional[str]
    started_at: datetime


def counted(
    stored: Sequence[Stored], state: Dict[int, "Conversation"], began: Iterable[int]
) -> Counter[Key]:
    """What a batch adds: each event on its day, under its conversation's
    channel; and each conversation in `began` (its first citizen message is in
    the batch) on the day it started, which a purge never moves."""
    found: Counter[Key] = Counter()
    for row, cid in stored:
        key = key_of(row, state[cid].channel)
        if key is not None:
            found[key] += 1
    for cid in began:
        day = aware(state[cid].started_at).astimezone(WIB).date()
        found[(day, channels.from_rasa(state[cid].channel), CONVERSATION, "", NO_BAND)] += 1
    return found


# -- all at once, from the stored events ------------------------------------------


def _channel(column: Any) -> Any:
    """lapor.channels.from_rasa, in SQL (the same table drives both)."""
    mapping = channels.rasa_names()
    return case(
        *((func.lower(column) == name, literal(value)) for name, value in mapping.items()),
        else_=literal(channels.OTHER),
    )


def _band(column: Any, dialect: str) -> Any:
    scaled = column * BANDS + 1e-9
    floored = func.floor(scaled) if dialect == "postgresql" else cast(scaled, Integer)
    return case((column.is_(None), NO_BAND), else_=cast(floored, Integer))


def rebuild_statements(dialect: str) -> List[Executable]:
    """Replace the day counts with what the stored events say (only right
    before any purge: a purged conversation is no longer there to count).
    Each count's key is worked out in a subquery and grouped outside it: a
    GROUP BY cannot repeat an expression that holds bound parameters."""
    e = conversation_events.c
    kind = e.kind
    name = func.coalesce(case((kind == USER, e.intent), (kind == ACTION, e.action), else_=None), "")
    joined = conversation_events.join(conversations, conversations.c.id == e.conversation_id)
    keyed = (
        select(
            local_day(e.at, dialect).label("day"),
            _channel(conversations.c.channel).label("channel"),
            kind.label("kind"),
            name.label("name"),
            case((kind == USER, _band(e.confidence, dialect)), else_=NO_BAND).label("band"),
        )
        .select_from(joined)
        .where(kind.in_((USER, BOT, ACTION)))
        .subquery()
    )
    c = conversations.c
    began = (
        select(
            local_day(c.started_at, dialect).label("day"),
            _channel(c.channel).label("channel"),
            literal(CONVERSATION, String).label("kind"),
            literal("", String).label("name"),
            literal(NO_BAND, Integer).label("band"),
        )
        .where(c.user_messages > 0)
        .subquery()
    )
    columns = ["day", "channel", "kind", "name", "band", "count"]
    statements: List[Executable] = [delete(message_days)]
    for source in (keyed, began):
        parts = [source.c[c] for c in columns[:-1]]
        grouped = select(*parts, func.count()).group_by(*parts)
        statements.append(insert(message_days).from_select(columns, grouped))
    return statements


async def rebuild(conn: Any) -> None:
    for statement in rebuild_statements(conn.dialect.name):
        await conn.execute(statement)

"""Write a batch of mapped events in the caller's transaction.

The events, their conversations' counters and the console's live events
commit together or not at all: a consumer killed mid-batch leaves nothing
half-written, and the batch is simply read again.

Idempotent: an event whose event_key is already stored is skipped (no
counter moves, nothing published), so a redelivered message is a no-op.
Two consumer replicas may meet on one conversation or one event: inserts are
INSERT ... ON CONFLICT DO NOTHING, which on PostgreSQL waits for the other
transaction and then yields to it; conversations are created and updated in
a fixed order (sender key, then id) so two batches do not deadlock on them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from sqlalchemy import DateTime, String, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from backend import live
from backend.emergency import citizen
from backend.pipeline import daily
from backend.pipeline.events import BOT, MESSAGES, USER, Row
from backend.tables import conversation_events, conversations
from lapor.db import insert_ignoring

TOPIC = "conversation"
ROLES = ("triage", "admin")  # who reads conversations in the console (issue 11)


@dataclass(frozen=True)
class Stored:
    row: Row
    id: int
    conversation_id: int


async def store(conn: AsyncConnection, rows: Sequence[Row]) -> List[Stored]:
    """Store the rows not stored before; returns them. Publishes live events last."""
    wanted = _unique([row for row in rows if row.kind is not None])
    if not wanted:
        return []
    ids = await _conversation_ids(conn, wanted)
    made = await _insert_events(conn, wanted, ids)
    stored = [
        Stored(row, made[row.event_key], ids[row.sender_key])
        for row in wanted
        if row.event_key in made
    ]
    added = await _count(conn, stored)
    state = await _conversations_now(conn, sorted({item.conversation_id for item in stored}))
    began = [cid for cid, users in added.items() if state[cid].citizen_messages == users]
    pairs = [(item.row, item.conversation_id) for item in stored]
    await daily.add(conn, daily.counted(pairs, state, began))
    # An emergency's later messages reach its incident (and its operator) too.
    await citizen.follow(conn, stored)
    # Last: publishing holds its lock only until commit.
    messages = [live_data(item) for item in stored if item.row.kind in MESSAGES]
    await live.publish_many(conn, TOPIC, messages, roles=ROLES)
    return stored


def live_data(item: Stored) -> Dict[str, Any]:
    row = item.row
    return {
        "event_id": item.id,
        "conversation_id": item.conversation_id,
        "sender_key": row.sender_key,
        "kind": row.kind,
        "text": row.text,
        "intent": row.intent,
        "confidence": row.confidence,
        "origin": row.origin,
        "channel": row.channel,
        "at": row.at.isoformat(),
    }


def _unique(rows: Iterable[Row]) -> List[Row]:
    seen: Dict[str, Row] = {}
    for row in rows:
        seen.setdefault(row.event_key, row)
    return list(seen.values())


async def _conversation_ids(conn: AsyncConnection, rows: Sequence[Row]) -> Dict[str, int]:
    first_at: Dict[str, datetime] = {}
    for row in rows:
        first_at[row.sender_key] = min(row.at, first_at.get(row.sender_key, row.at))
    keys = sorted(first_at)
    ids = await _existing(conn, keys)
    missing = [key for key in keys if key not in ids]
    for key in missing:  # sorted: replicas creating the same two wait, never deadlock
        at = first_at[key]
        await conn.execute(
            insert_ignoring(conn, conversations, "sender_key").values(
                sender_key=key, started_at=at, last_event_at=at, user_messages=0, bot_messages=0
            )
        )
    if missing:
        ids.update(await _existing(conn, missing))
    return ids


async def _existing(conn: AsyncConnection, keys: Sequence[str]) -> Dict[str, int]:
    rows = await conn.execute(
        select(conversations.c.sender_key, conversations.c.id).where(
            conversations.c.sender_key.in_(keys)
        )
    )
    return {key: int(id_) for key, id_ in rows}


async def _insert_events(
    conn: AsyncConnection, rows: Sequence[Row], ids: Dict[str, int]
) -> Dict[str, int]:
    """The ids of the rows inserted now, by event_key; rows stored before are left out."""
    values = [_values(row, ids[row.sender_key]) for row in rows]
    c = conversation_events.c
    if conn.dialect.name == "postgresql":
        # One statement: a key stored before (or by a replica right now) returns nothing.
        result = await conn.execute(
            insert_ignoring(conn, conversation_events, "event_key")
            .values(values)
            .returning(c.id, c.event_key)
        )
        return {key: int(id_) for id_, key in result}
    # SQLite (development; one writer at a time): skip what is there, insert the rest.
    keys = [row.event_key for row in rows]
    there = set((await conn.execute(select(c.event_key).where(c.event_key.in_(keys)))).scalars())
    new = [v for v in values if v["event_key"] not in there]
    if not new:
        return {}
    await conn.execute(conversation_events.insert(), new)
    made = await conn.execute(
        select(c.id, c.event_key).where(c.event_key.in_([v["event_key"] for v in new]))
    )
    return {key: int(id_) for id_, key in made}


def _values(row: Row, conversation_id: int) -> Dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "event_key": row.event_key,
        "kind": row.kind,
        "at": row.at,
        "text": row.text,
        "intent": row.intent,
        "confidence": row.confidence,
        "entities": row.entities,
        "action": row.action,
        "channel": row.channel,
        "origin": row.origin,
        "data": row.data,
    }


async def _count(conn: AsyncConnection, stored: Sequence[Stored]) -> Dict[int, int]:
    """Move each conversation's counters and times by what this batch stored;
    returns the citizen messages it added, per conversation that got some."""
    totals: Dict[int, Tuple[int, int]] = defaultdict(lambda: (0, 0))
    first: Dict[int, datetime] = {}
    last: Dict[int, datetime] = {}
    channel: Dict[int, str] = {}
    for item in stored:
        cid, row = item.conversation_id, item.row
        users, bots = totals[cid]
        totals[cid] = (users + (row.kind == USER), bots + (row.kind == BOT))
        first[cid] = min(row.at, first.get(cid, row.at))
        last[cid] = max(row.at, last.get(cid, row.at))
        if row.kind == USER and row.channel:
            channel.setdefault(cid, row.channel)
    params = [
        {
            "cid": cid,
            "users": totals[cid][0],
            "bots": totals[cid][1],
            "first": first[cid],
            "last": last[cid],
            "channel": channel.get(cid),
        }
        for cid in sorted(totals)  # id order: two batches lock conversations alike
    ]
    if params:  # one statement, executed for each conversation
        await conn.execute(_COUNT, params)
    return {cid: users for cid, (users, _) in totals.items() if users}


async def _conversations_now(
    conn: AsyncConnection, ids: Sequence[int]
) -> Dict[int, daily.Conversation]:
    """Each conversation's citizen messages, channel and start, after this batch's
    update. Read in its transaction: the rows stay locked until commit, so a
    replica's batch on the same conversation waits, then sees this one's count;
    only one of them finds that its citizen messages are all there are (the first)."""
    rows = await conn.execute(
        select(_c.id, _c.user_messages, _c.channel, _c.started_at).where(_c.id.in_(ids))
    )
    return {cid: daily.Conversation(users, channel, at) for cid, users, channel, at in rows}


_c = conversations.c
# Typed, so SQLite stores and compares times in the column's own format.
_FIRST = bindparam("first", type_=DateTime(timezone=True))
_LAST = bindparam("last", type_=DateTime(timezone=True))
_COUNT = (
    update(conversations)
    .where(_c.id == bindparam("cid"))
    .values(
        user_messages=_c.user_messages + bindparam("users"),
        bot_messages=_c.bot_messages + bindparam("bots"),
        last_event_at=case((_c.last_event_at < _LAST, _LAST), else_=_c.last_event_at),
        started_at=case((_c.started_at > _FIRST, _FIRST), else_=_c.started_at),
        # The first user message names the channel; it stays.
        channel=func.coalesce(_c.channel, bindparam("channel", type_=String)),
    )
)

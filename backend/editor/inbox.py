"""The content editors' inbox: citizens' messages the bot was unsure about.

Read from `conversation_events` as the pipeline stored them (backend/pipeline/);
free of HTTP. A user message is in the inbox for every reason that holds:

- `ragu`: its confidence is below the threshold (settings.editor_inbox_confidence);
- `fallback`: its intent is nlu_fallback, or the bot's turn after it ran a
  fallback (utter_ask_rephrase, action_default_fallback);
- `laporkan_saja`: the bot's turn ran action_unsure (actions/unsure.py), which
  offers to file an unclear complaint;
- `diulang`: it came within `GIVE_UP` after an unsure reply to the citizen's
  previous message (they said it again, in other words);
- `menyerah`: the bot's turn after it was an unsure reply and no user message
  followed for `GIVE_UP`.

action_unsure counts as an unsure reply for `diulang` and `menyerah` too: it
either asks to rephrase or offers categories, both saying "not understood".
Button payloads ("/choose...") are no language to learn from and never listed.

Cheap on a large table: user messages are read newest first over the `at`
index, a chunk at a time, only within `WINDOW` and at most `MAX_SCANNED` per
call; each chunk's neighbours come from the (conversation_id, at) index within
the chunk's time span. Messages decided once (`decide`) leave the inbox.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import people
from backend.tables import conversation_events, nlu_inbox_decisions
from lapor.privacy import mask_names
from lapor.timeutil import aware, utcnow

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"utter_ask_rephrase", "action_default_fallback"})
UNSURE_ACTION = "action_unsure"
UNSURE_REPLIES = FALLBACK_ACTIONS | {UNSURE_ACTION}
GIVE_UP = timedelta(minutes=30)
# The bot answers within seconds; a turn's actions are looked for this long after it.
TURN = timedelta(minutes=5)
WINDOW = timedelta(days=90)  # older messages: the data and the model have moved on
CHUNK = 200
MAX_SCANNED = 2000

REASONS: Dict[str, str] = {
    "ragu": "Bot ragu (keyakinan rendah)",
    "fallback": "Bot tidak paham",
    "laporkan_saja": "Ditawari “laporkan saja”",
    "diulang": "Warga mengulang dengan kata lain",
    "menyerah": "Warga berhenti setelah bot tidak paham",
}
DECISIONS = frozenset({"example", "ignored"})


class InboxError(Exception):
    """A decision that cannot be recorded; the message is for the editor."""


class NotInInbox(InboxError):
    """No such user message."""


class AlreadyDecided(InboxError):
    """Someone decided about this message already."""


@dataclass(frozen=True)
class InboxItem:
    event_id: int
    conversation_id: int
    at: datetime
    text: str  # numbers masked by the pipeline, names masked here
    intent: Optional[str]
    confidence: Optional[float]
    reasons: Tuple[str, ...]

    @property
    def reason_labels(self) -> List[str]:
        return [REASONS[r] for r in self.reasons]


@dataclass(frozen=True)
class _Event:
    id: int
    conversation_id: int
    kind: str
    at: datetime
    action: Optional[str]


# -- reading -----------------------------------------------------------------------


async def unsure_messages(
    engine: AsyncEngine,
    threshold: float,
    limit: int,
    before_id: Optional[int] = None,
    now: Optional[datetime] = None,
) -> List[InboxItem]:
    """Up to `limit` undecided messages, newest first; `before_id` continues a page."""
    now = now or utcnow()
    items: List[InboxItem] = []
    async with engine.connect() as conn:
        cursor = await _cursor(conn, before_id)
        if before_id is not None and cursor is None:
            return []
        scanned = 0
        while len(items) < limit and scanned < MAX_SCANNED:
            chunk = await _user_messages(conn, now - WINDOW, cursor, threshold)
            if not chunk:
                break
            scanned += len(chunk)
            items.extend(await _judged(conn, chunk, threshold, now))
            last = chunk[-1]
            cursor = (aware(last.at), int(last.id))
    return items[:limit]


async def _cursor(
    conn: AsyncConnection, before_id: Optional[int]
) -> Optional[Tuple[datetime, int]]:
    if before_id is None:
        return None
    at = (
        await conn.execute(
            select(conversation_events.c.at).where(conversation_events.c.id == before_id)
        )
    ).scalar_one_or_none()
    return (aware(at), before_id) if at is not None else None


async def _user_messages(
    conn: AsyncConnection,
    since: datetime,
    cursor: Optional[Tuple[datetime, int]],
    threshold: float,
) -> List[Any]:
    """The next chunk of undecided user messages that may be in the inbox, newest first.

    Only candidates are read: unsure ones, or any of a conversation where the bot
    gave an unsure reply (the reasons that depend on neighbours are judged after),
    so MAX_SCANNED rarely bounds a day's confident messages."""
    c, d = conversation_events.c, nlu_inbox_decisions.c
    nearby = conversation_events.alias("nearby")
    candidate = or_(
        c.confidence < threshold,
        c.intent == FALLBACK_INTENT,
        exists().where(
            nearby.c.conversation_id == c.conversation_id,
            nearby.c.kind == "action",
            nearby.c.action.in_(sorted(UNSURE_REPLIES)),
        ),
    )
    statement = (
        select(c.id, c.conversation_id, c.at, c.text, c.intent, c.confidence)
        .outerjoin(nlu_inbox_decisions, d.event_id == c.id)
        .where(
            c.kind == "user",
            c.at >= since,
            d.event_id.is_(None),
            c.text.is_not(None),
            ~c.text.startswith("/"),
            candidate,
        )
        .order_by(c.at.desc(), c.id.desc())
        .limit(CHUNK)
    )
    if cursor is not None:
        at, last_id = cursor
        statement = statement.where(or_(c.at < at, and_(c.at == at, c.id < last_id)))
    return list(await conn.execute(statement))


async def _judged(
    conn: AsyncConnection, chunk: Sequence[Any], threshold: float, now: datetime
) -> List[InboxItem]:
    timelines = await _timelines(conn, chunk)
    items = []
    for row in chunk:
        reasons = _reasons(row, timelines[row.conversation_id], threshold, now)
        if reasons:
            items.append(
                InboxItem(
                    int(row.id),
                    int(row.conversation_id),
                    aware(row.at),
                    mask_names(row.text),
                    row.intent,
                    row.confidence,
                    reasons,
                )
            )
    return items


async def _timelines(conn: AsyncConnection, chunk: Sequence[Any]) -> Dict[int, List[_Event]]:
    """The user messages and actions around the chunk, per conversation, in order."""
    c = conversation_events.c
    times = [aware(row.at) for row in chunk]
    low, high = min(times) - GIVE_UP - TURN, max(times) + GIVE_UP + TURN
    rows = await conn.execute(
        select(c.id, c.conversation_id, c.kind, c.at, c.action)
        .where(
            c.conversation_id.in_(sorted({int(row.conversation_id) for row in chunk})),
            c.kind.in_(("user", "action")),
            c.at >= low,
            c.at <= high,
        )
        .order_by(c.conversation_id, c.at, c.id)
    )
    timelines: Dict[int, List[_Event]] = defaultdict(list)
    for r in rows:
        timelines[int(r.conversation_id)].append(
            _Event(int(r.id), int(r.conversation_id), r.kind, aware(r.at), r.action)
        )
    return timelines


def _reasons(
    row: Any, timeline: Sequence[_Event], threshold: float, now: datetime
) -> Tuple[str, ...]:
    position = next(i for i, e in enumerate(timeline) if e.id == row.id)
    turn, next_user = _turn_after(timeline, position)
    before = _turn_before(timeline, position)
    answered = {e.action for e in turn}
    reasons = []
    if row.confidence is not None and row.confidence < threshold:
        reasons.append("ragu")
    if row.intent == FALLBACK_INTENT or answered & FALLBACK_ACTIONS:
        reasons.append("fallback")
    if UNSURE_ACTION in answered:
        reasons.append("laporkan_saja")
    at = aware(row.at)
    if any(e.action in UNSURE_REPLIES and at - e.at <= GIVE_UP for e in before):
        reasons.append("diulang")
    if _gave_up(turn, next_user, now):
        reasons.append("menyerah")
    return tuple(reasons)


def _turn_after(timeline: Sequence[_Event], position: int) -> Tuple[List[_Event], Optional[_Event]]:
    """The bot's actions after the message, and the citizen's next message (if any)."""
    actions: List[_Event] = []
    for event in timeline[position + 1 :]:
        if event.kind == "user":
            return actions, event
        actions.append(event)
    return actions, None


def _turn_before(timeline: Sequence[_Event], position: int) -> List[_Event]:
    """The bot's actions between the citizen's previous message and this one."""
    actions: List[_Event] = []
    for event in reversed(timeline[:position]):
        if event.kind == "user":
            break
        actions.append(event)
    return actions


def _gave_up(turn: Sequence[_Event], next_user: Optional[_Event], now: datetime) -> bool:
    unsure = [e for e in turn if e.action in UNSURE_REPLIES]
    if not unsure:
        return False
    replied_at = unsure[-1].at
    if next_user is not None:
        return next_user.at - replied_at > GIVE_UP
    return now - replied_at >= GIVE_UP


# -- deciding ----------------------------------------------------------------------


async def decide(
    engine: AsyncEngine,
    event_id: int,
    decision: str,
    intent: Optional[str],
    example: Optional[str],
    commit: Optional[str],
    actor: str,
) -> None:
    """Record what an editor decided about a message, with its audit record.

    Raises NotInInbox for an unknown message and AlreadyDecided when it was
    decided before (the primary key refuses a second decision, also a racing one).
    """
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    try:
        async with engine.begin() as conn:
            await _check(conn, event_id)
            await conn.execute(
                nlu_inbox_decisions.insert().values(
                    event_id=event_id,
                    decision=decision,
                    intent=intent,
                    example=example,
                    commit=commit,
                    decided_by=actor,
                    decided_at=utcnow(),
                )
            )
            detail = {"intent": intent, "example": example, "commit": commit}
            await people.audit(
                conn,
                actor,
                f"nlu.inbox.{decision}",
                "conversation_event",
                str(event_id),
                {k: v for k, v in detail.items() if v is not None},
            )
    except IntegrityError:  # decided by someone else between the check and the insert
        raise AlreadyDecided(_ALREADY) from None


_ALREADY = "Pesan ini sudah diputuskan oleh editor lain."


async def check_pending(engine: AsyncEngine, event_id: int) -> None:
    """Raise NotInInbox or AlreadyDecided before work that decide() would then refuse."""
    async with engine.connect() as conn:
        await _check(conn, event_id)


async def _check(conn: AsyncConnection, event_id: int) -> None:
    c, d = conversation_events.c, nlu_inbox_decisions.c
    row = (
        await conn.execute(
            select(c.kind, d.event_id.label("decided"))
            .outerjoin(nlu_inbox_decisions, d.event_id == c.id)
            .where(c.id == event_id)
        )
    ).one_or_none()
    if row is None or row.kind != "user":
        raise NotInInbox("Pesan ini tidak ditemukan di kotak masuk.")
    if row.decided is not None:
        raise AlreadyDecided(_ALREADY)

"""A small, hand-made month of the service, whose figures are worked out by
hand in the tests (tests/backend/monev/test_*.py) and written there as literals.

The period under test is October 2026 (WIB); the one before it is
31 August - 30 September 2026. Times are given in WIB, as the city reads
them; a few sit just inside and just outside the period's edges (WIB
midnight is 17:00 UTC the day before).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.pipeline import daily
from backend.tables import (
    audit_log,
    conversation_events,
    conversations,
    incident_events,
    incidents,
    ticket_events,
    tickets,
    voice_calls,
)
from lapor.db import create_engine
from lapor.timeutil import WIB

PERIOD = "dari=2026-10-01&sampai=2026-10-31"
BANDAR_LOR, BANDAR_KIDUL, SEMAMPIR = "35.71.01.1001", "35.71.01.1002", "35.71.02.1001"
# Personal data the public page must never show.
REPORTER = "Siti Rahayu"
PHONE = "+6281234567890"
ADDRESS = "Jl. Mawar Melati No. 12"
DESCRIPTION = "Lampu mati di depan rumah Bu Siti sejak seminggu"


def wib(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=WIB).astimezone(timezone.utc)


async def seed(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await _conversations(conn)
            await _tickets(conn)
            await _incidents(conn)
            await _calls(conn)
            await _audit(conn)
            # The seed writes events straight into the tables, as the pipeline would
            # have: the day counts it keeps are worked out from them.
            await daily.rebuild(conn)
    finally:
        await engine.dispose()


# -- conversations ------------------------------------------------------------

# (sender, Rasa channel, started, [(kind, at, intent, confidence, action)])
CONVERSATIONS = [
    (
        "wa-a",
        "whatsapp",
        wib(10, 5, 10),
        [
            ("user", wib(10, 5, 10, 0), "report_road", 0.92, None),
            ("bot", wib(10, 5, 10, 0, 5), None, None, None),
            ("action", wib(10, 5, 10, 0, 6), None, None, "action_unsure"),
            ("user", wib(10, 5, 10, 1), "inform_location", 0.55, None),
            ("bot", wib(10, 5, 10, 1, 5), None, None, None),
            ("user", wib(10, 5, 10, 2), "affirm", 0.99, None),
            ("bot", wib(10, 5, 10, 2, 5), None, None, None),
        ],
    ),
    (
        "wa-b",
        "whatsapp",
        wib(10, 5, 21),
        [
            ("user", wib(10, 5, 21, 0), "prank", 0.88, None),
            ("bot", wib(10, 5, 21, 0, 5), None, None, None),
            ("user", wib(10, 5, 21, 1), "nlu_fallback", 0.30, None),
            ("bot", wib(10, 5, 21, 1, 5), None, None, None),
        ],
    ),
    (
        "web-c",
        "socketio",
        wib(10, 12, 9),
        [
            ("user", wib(10, 12, 9, 0), "emergency_fire", 0.97, None),
            ("bot", wib(10, 12, 9, 0, 2), None, None, None),
            ("user", wib(10, 12, 9, 5), "out_of_scope", 0.70, None),
            ("bot", wib(10, 12, 9, 5, 2), None, None, None),
        ],
    ),
    (
        "rest-d",
        "rest",
        wib(9, 20, 8),
        [
            ("user", wib(9, 20, 8, 0), "greet", 0.99, None),
            ("user", wib(9, 20, 8, 1), "report_water", 0.80, None),
            ("bot", wib(9, 20, 8, 1, 3), None, None, None),
        ],
    ),
    # The last evening of October, WIB: the first message is in the period, the second
    # (00:30 on 1 November WIB, still 31 October in UTC) is not.
    (
        "wa-e",
        "whatsapp",
        wib(10, 31, 23, 30),
        [
            ("user", wib(10, 31, 23, 30), "report_tree", 0.90, None),
            ("user", wib(11, 1, 0, 30), "thank", 0.95, None),
        ],
    ),
]


async def _conversations(conn: AsyncConnection) -> None:
    n = 0
    for sender, channel, started, events in CONVERSATIONS:
        result = await conn.execute(
            insert(conversations).values(
                sender_key=sender,
                channel=channel,
                started_at=started,
                last_event_at=events[-1][1],
                user_messages=sum(1 for e in events if e[0] == "user"),
                bot_messages=sum(1 for e in events if e[0] == "bot"),
            )
        )
        conversation_id = result.inserted_primary_key[0]
        for kind, at, intent, confidence, action in events:
            n += 1
            await conn.execute(
                insert(conversation_events).values(
                    conversation_id=conversation_id,
                    event_key=f"seed-{n}",
                    kind=kind,
                    at=at,
                    text="..." if kind in ("user", "bot") else None,
                    intent=intent,
                    confidence=confidence,
                    action=action,
                    channel=channel,
                    origin="bot" if kind == "bot" else None,
                )
            )


# -- tickets --------------------------------------------------------------------


def _ticket(
    number: int,
    code: str,
    department: str,
    kelurahan: Optional[str],
    status: str,
    requested: datetime,
    expected: datetime,
    responded: Optional[datetime] = None,
    resolved: Optional[datetime] = None,
    **more: Any,
) -> Dict[str, Any]:
    closed = status in ("selesai", "ditolak", "duplikat")
    return {
        "id": number,
        "service_request_id": f"KDR-2026-{number:06d}",
        "service_code": code,
        "agency_responsible": department,
        "description": DESCRIPTION,
        "status": "closed" if closed else "open",
        "workflow_status": status,
        "address": ADDRESS,
        "kelurahan_code": kelurahan,
        "media_urls": [],
        "attributes": {},
        "channel": "whatsapp",
        "phone": PHONE,
        "first_name": REPORTER,
        "requested_at": requested,
        "updated_at": requested,
        "expected_at": expected,
        "first_response_at": responded,
        "resolved_at": resolved,
        **more,
    }


def ticket_rows() -> List[Dict[str, Any]]:
    october = [
        # Road (PUPR), Bandar Lor: answered in 2 h, closed in 48 h, on time, confirmed, rated 5.
        _ticket(
            1,
            "road",
            "dpupr",
            BANDAR_LOR,
            "selesai",
            wib(10, 2, 8),
            wib(10, 9, 8),
            wib(10, 2, 10),
            wib(10, 4, 8),
            closure_state="confirmed",
            citizen_rating=5,
        ),
        # Answered in 6 h, closed in 120 h: two days late.
        _ticket(
            2,
            "road",
            "dpupr",
            BANDAR_LOR,
            "selesai",
            wib(10, 3, 8),
            wib(10, 6, 8),
            wib(10, 3, 14),
            wib(10, 8, 8),
            closure_state="expired",
        ),
        # A duplicate merged into ticket 1 after 1 h: counted, but not timed.
        _ticket(
            5,
            "road",
            "dpupr",
            BANDAR_LOR,
            "duplikat",
            wib(10, 4, 8),
            wib(10, 18, 8),
            wib(10, 4, 9),
            wib(10, 4, 9),
            merged_into_id=1,
        ),
        # 23:00 WIB on the last day: in the period; open and past its deadline now.
        _ticket(7, "road", "dpupr", BANDAR_LOR, "diterima", wib(10, 31, 23), wib(11, 7, 23)),
        # Street lights (Dishub): reopened by the reporter, overdue; and one not due yet.
        _ticket(
            3,
            "street_light",
            "dishub",
            BANDAR_KIDUL,
            "diproses",
            wib(10, 10, 8),
            wib(10, 13, 8),
            wib(10, 10, 9),
            closure_state="reopened",
        ),
        _ticket(
            4,
            "street_light",
            "dishub",
            SEMAMPIR,
            "diterima",
            wib(10, 11, 8),
            datetime(2099, 1, 1, tzinfo=timezone.utc),
        ),
        # "Laporkan saja" (Lainnya, Diskominfo), no kelurahan: answered in 3 h, rejected in 24 h.
        _ticket(
            6,
            "other",
            "diskominfo",
            None,
            "ditolak",
            wib(10, 20, 8),
            wib(10, 27, 8),
            wib(10, 20, 11),
            wib(10, 21, 8),
        ),
    ]
    outside = [
        # 01:00 WIB on 1 November: after the period.
        _ticket(8, "road", "dpupr", BANDAR_LOR, "diterima", wib(11, 1, 1), wib(11, 15, 1)),
        # The previous period.
        _ticket(
            11,
            "road",
            "dpupr",
            BANDAR_LOR,
            "selesai",
            wib(9, 15, 8),
            wib(9, 29, 8),
            wib(9, 15, 9),
            wib(9, 16, 8),
        ),
        _ticket(12, "street_light", "dishub", SEMAMPIR, "diterima", wib(9, 16, 8), wib(9, 19, 8)),
        _ticket(13, "other", "diskominfo", None, "diterima", wib(9, 30, 23), wib(10, 7, 23)),
    ]
    return october + outside


async def _tickets(conn: AsyncConnection) -> None:
    for row in ticket_rows():
        await conn.execute(insert(tickets).values(**row))
    # Ticket 3's reporter said the fix did not hold.
    await conn.execute(
        insert(ticket_events).values(
            ticket_id=3,
            workflow_status="diproses",
            actor="Pelapor (warga)",
            created_at=wib(10, 12, 8),
            kind="reopen",
        )
    )


# -- emergencies and calls ----------------------------------------------------------


def _incident(
    number: int, kind: str, channel: str, received: datetime, **moments: Any
) -> Dict[str, Any]:
    return {
        "id": number,
        "key": f"seed-incident-{number}",
        "kind": kind,
        "state": "resolved" if moments.get("resolved_at") else "open",
        "channel": channel,
        "conversation_key": f"seed-{number}",
        "received_at": received,
        "created_at": received,
        **moments,
    }


async def _incidents(conn: AsyncConnection) -> None:
    s = timedelta(seconds=1)
    i1, i2, i3, i0 = wib(10, 5, 10), wib(10, 12, 12), wib(10, 20, 3), wib(9, 10, 14)
    rows = [
        # Alerted after 1 s, accepted 20 s later, agencies called 60 s later, resolved 1 h later.
        _incident(
            1,
            "emergency_fire",
            "whatsapp",
            i1,
            alerted_at=i1 + s,
            accepted_at=i1 + 21 * s,
            resolved_at=i1 + 3681 * s,
        ),
        # Nobody accepted in 30 s: escalated; accepted after 50 s; resolved 30 min later.
        _incident(
            2,
            "emergency_medical",
            "web",
            i2,
            alerted_at=i2 + 2 * s,
            escalated_at=i2 + 32 * s,
            accepted_at=i2 + 52 * s,
            resolved_at=i2 + 1852 * s,
        ),
        # A 112 call nobody accepted: escalated, still open; an operator rang back.
        _incident(3, "emergency_call", "phone", i3, alerted_at=i3 + s, escalated_at=i3 + 31 * s),
        # The previous period.
        _incident(
            4,
            "emergency_fire",
            "whatsapp",
            i0,
            alerted_at=i0 + 3 * s,
            accepted_at=i0 + 43 * s,
            resolved_at=i0 + 7243 * s,
        ),
    ]
    for row in rows:
        await conn.execute(insert(incidents).values(**row))
    for incident_id, kind, at in [(1, "dispatched", i1 + 81 * s), (3, "callback", i3 + 600 * s)]:
        await conn.execute(
            insert(incident_events).values(incident_id=incident_id, kind=kind, at=at)
        )


def _call(number: int, call_class: Optional[str], started: datetime, **more: Any) -> Dict[str, Any]:
    return {
        "call_sid": f"CA{number:032d}",
        "caller": f"wa-caller-{number}",
        "state": "ended" if call_class else "greeting",
        "class": call_class,
        "started_at": started,
        **more,
    }


async def _calls(conn: AsyncConnection) -> None:
    s = timedelta(seconds=1)
    t = wib(10, 20, 2, 59, 40)
    rows = [
        _call(1, "valid", t, queue="main", queued_at=t + 10 * s, connected_at=t + 40 * s),
        _call(
            2,
            "silent",
            t,
            queue="main",
            cannot_speak=True,
            queued_at=t + 20 * s,
            connected_at=t + 110 * s,
        ),
        _call(3, "valid", t, queue="main", queued_at=t + 10 * s, dropped=True),
        _call(4, "prank", t, queue="prank", queued_at=t + 10 * s, connected_at=t + 20 * s),
        _call(5, "ghost", wib(10, 21, 4)),
        _call(6, "ghost", wib(10, 22, 4)),
        _call(7, None, wib(10, 31, 23, 59)),  # still in the greeting: not sorted yet
        _call(8, "ghost", wib(9, 1, 4)),
        _call(
            9,
            "valid",
            wib(9, 2, 4),
            queue="main",
            queued_at=wib(9, 2, 4, 0, 10),
            connected_at=wib(9, 2, 4, 1, 10),
        ),
    ]
    for row in rows:
        await conn.execute(insert(voice_calls).values(**row))


async def _audit(conn: AsyncConnection) -> None:
    entries = [
        ("nlu.example.add", wib(10, 6, 9)),
        ("nlu.example.add", wib(10, 7, 9)),
        ("nlu.inbox.example", wib(10, 8, 9)),
        ("nlu.model.deploy", wib(10, 9, 9)),
        ("nlu.example.delete", wib(10, 9, 10)),  # not an example added
        ("nlu.example.add", wib(9, 10, 9)),
    ]
    for action, at in entries:
        await conn.execute(
            insert(audit_log).values(at=at, actor="editor", action=action, detail={})
        )

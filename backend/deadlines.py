"""Late tickets escalate on a schedule (data/deadlines.yml), like LAPOR!'s clocks.

An open ticket past its SLA deadline (expected_at) climbs the steps of the
file in order: each step raises its `escalation_level`, records a history
entry, alerts the console of the role it names (the department's
`staff_head`, or Diskominfo's `triage`) and queues a WhatsApp template to
the people of that role who have a phone number, so the alert reaches them
when they are not signed in. One transaction per ticket and step; tickets
are taken with SKIP LOCKED, so replicas never escalate one twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import live
from backend.tables import staff_alerts, tickets, user_roles, users
from backend.tickets import LIVE_TOPIC, record_event
from lapor import jobs
from lapor.catalogue import Catalogue
from lapor.outbound import Message, Outbound, Recipient, Template, Undeliverable
from lapor.paths import DEADLINES_FILE
from lapor.timeutil import aware, utcnow

logger = logging.getLogger(__name__)

ROLES = frozenset({"staff_head", "triage"})
ESCALATION = "escalation"
BATCH = 100
PENDING, SENT, UNDELIVERABLE, FAILED = "pending", "sent", "undeliverable", "failed"
ROLE_NAMES = {"staff_head": "kepala dinas", "triage": "pemilah Diskominfo"}
TEXT = (
    "⏰ Laporan {ticket} ({category}) terlambat {days} hari dari tenggatnya di {department}. "
    "Mohon segera ditindaklanjuti di konsol Lapor Mbak Wali 112."
)


class DeadlinesError(ValueError):
    """deadlines.yml is not valid; the message says where."""


@dataclass(frozen=True)
class Step:
    level: int  # 1 for the first step
    after: timedelta
    to: str
    template: str


def load(path: Path = DEADLINES_FILE) -> Tuple[Step, ...]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DeadlinesError(f"{path}: {exc}") from None
    entries = raw.get("steps")
    if not isinstance(entries, list) or not entries:
        raise DeadlinesError(f"{path}: 'steps' must be a non-empty list")
    steps = tuple(_step(n, entry) for n, entry in enumerate(entries, start=1))
    if list(steps) != sorted(steps, key=lambda s: s.after):
        raise DeadlinesError(f"{path}: steps must come in the order of their after_days")
    return steps


def _step(level: int, entry: Any) -> Step:
    if not isinstance(entry, dict):
        raise DeadlinesError(f"step {level} must be a mapping")
    days, to, template = entry.get("after_days"), entry.get("to"), entry.get("template")
    if not isinstance(days, (int, float)) or days < 0:
        raise DeadlinesError(f"step {level}: after_days must be a number >= 0")
    if to not in ROLES:
        raise DeadlinesError(f"step {level}: 'to' must be one of {sorted(ROLES)}")
    if not isinstance(template, str) or not template:
        raise DeadlinesError(f"step {level}: a template name is required")
    return Step(level, timedelta(days=days), to, template)


@dataclass(frozen=True)
class Escalated:
    service_request_id: str
    level: int
    to: str
    alerts: int  # WhatsApp templates queued


async def escalate_due(
    engine: AsyncEngine,
    steps: Sequence[Step],
    catalogue: Catalogue,
    now: Optional[datetime] = None,
) -> List[Escalated]:
    """Takes every overdue open ticket one step up where its time has come."""
    now = now or utcnow()
    done: List[Escalated] = []
    for step in steps:
        async with engine.begin() as conn:
            due = await _due(conn, step, now)
            for row in due:
                done.append(await _escalate(conn, row, step, catalogue, now))
    return done


async def _due(conn: AsyncConnection, step: Step, now: datetime) -> List[Any]:
    statement = (
        select(tickets)
        .where(
            tickets.c.status == "open",
            tickets.c.escalation_level < step.level,
            tickets.c.expected_at <= now - step.after,
        )
        .order_by(tickets.c.expected_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(statement)).all())


async def _escalate(
    conn: AsyncConnection, row: Any, step: Step, catalogue: Catalogue, now: datetime
) -> Escalated:
    days = max(0, (now - aware(row.expected_at)).days)
    await conn.execute(
        update(tickets)
        .where(tickets.c.id == row.id)
        .values(escalation_level=step.level, escalated_at=now)
    )
    note = f"Terlambat {days} hari dari tenggat: diteruskan ke {ROLE_NAMES[step.to]}."
    await record_event(conn, row.id, row.workflow_status, note, "system", now, kind=ESCALATION)
    department = catalogue.departments.get(row.agency_responsible)
    service = catalogue.service(row.service_code)
    variables = {
        "1": row.service_request_id,
        "2": service.name if service else row.service_code,
        "3": str(days),
        "4": department.name if department else row.agency_responsible,
    }
    alerts = await _queue_alerts(conn, row, step, variables, now)
    data = {
        "service_request_id": row.service_request_id,
        "change": "escalated",
        "level": step.level,
        "to": step.to,
        "department": row.agency_responsible,
    }
    if step.to == "staff_head":
        await live.publish(
            conn, LIVE_TOPIC, data, roles=["staff_head"], department=row.agency_responsible
        )
    else:
        await live.publish(conn, LIVE_TOPIC, data, roles=["triage", "admin"])
    return Escalated(row.service_request_id, step.level, step.to, alerts)


async def _queue_alerts(
    conn: AsyncConnection, row: Any, step: Step, variables: Dict[str, str], now: datetime
) -> int:
    """One template per active person of the step's role who has a phone number."""
    statement = (
        select(users.c.id)
        .join(user_roles, user_roles.c.user_id == users.c.id)
        .where(user_roles.c.role == step.to, users.c.active.is_(True), users.c.phone.is_not(None))
    )
    if step.to == "staff_head":
        statement = statement.where(users.c.department_code == row.agency_responsible)
    people = list((await conn.execute(statement)).scalars())
    for user_id in people:
        await conn.execute(
            insert(staff_alerts).values(
                user_id=user_id,
                ticket_id=row.id,
                template=step.template,
                variables=variables,
                state=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return len(people)


# ---- sending the alerts -------------------------------------------------------

queue = jobs.Queue(
    name="staff alerts",
    table=staff_alerts,
    waiting=lambda: staff_alerts.c.state == PENDING,
    due=staff_alerts.c.next_attempt_at,
    attempts=staff_alerts.c.attempts,
    error=staff_alerts.c.last_error,
    max_attempts=8,
    dead=lambda: {"state": FAILED},
)


async def send_alerts(engine: AsyncEngine, outbound: Outbound) -> int:
    """Sends due alerts through the outbound interface; returns how many were handled."""

    async def attempt(row: Any) -> Dict[str, Any]:
        async with engine.connect() as conn:
            phone = (
                await conn.execute(select(users.c.phone).where(users.c.id == row.user_id))
            ).scalar()
        if not phone:
            return queue.finish(row, state=UNDELIVERABLE, last_error="no phone number")
        v = row.variables
        text = TEXT.format(ticket=v["1"], category=v["2"], days=v["3"], department=v["4"])
        message = Message(text=text, template=Template(row.template, v))
        try:
            await outbound.send(Recipient.whatsapp_number(phone), message)
        except Undeliverable as exc:
            logger.warning("staff alert %s undeliverable: %s", row.id, exc)
            return queue.finish(row, state=UNDELIVERABLE, last_error=str(exc)[:500])
        except Exception as exc:  # Twilio or the network: later
            return queue.retry(row, str(exc))
        return queue.finish(row, state=SENT, sent_at=utcnow())

    return await queue.run(engine, attempt)

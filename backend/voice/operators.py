"""What a 112 operator does with a call: take it, sort it, call back, clear a flag.

Taking a call accepts its incident (one operator wins, as for chat
emergencies) and queues, in the same transaction, the REST request that
takes the caller out of Twilio's queue and dials the operator's desk phone
(backend/emergency/sends.py). Why the caller's leg is redirected rather than
the operator dialling `<Queue>`: a Twilio queue is first-in-first-out, so
dialling it would connect whoever waits longest, not the call the operator
chose (a silent caller who pressed 55, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Optional, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import people
from backend.emergency import incidents, sends
from backend.emergency.agencies import Directory
from backend.emergency.incidents import IncidentConflict, IncidentError
from backend.tables import voice_callers, voice_calls
from backend.voice import calls
from backend.voice.line import Line
from lapor.db import insert_ignoring
from lapor.timeutil import utcnow

# DialCallStatus values after which the operator did speak with the caller.
SPOKE = frozenset({"completed", "answered"})
LABELS = {
    calls.VALID: "Darurat sungguhan",
    calls.INFORMATION: "Permintaan informasi",
    calls.PRANK: "Panggilan iseng",
    calls.GHOST: "Panggilan kosong (tidak ada suara)",
}

_c = voice_calls.c


def emergencies(directory: Directory) -> list[str]:
    """The kinds an operator may give a real emergency (not "a call", which says nothing)."""
    return [code for code in directory.types if not code.startswith(calls.KIND)]


@dataclass(frozen=True)
class Sorting:
    """The operator's word on a call: its class, and for a real emergency its kind."""

    kind: str  # valid, information, prank, ghost
    emergency: Optional[str] = None  # emergency_fire, ... (valid only)
    agencies: Sequence[str] = ()
    note: str = ""


async def take(
    engine: AsyncEngine, call_id: int, person: people.Person, desk_phone: Optional[str], line: Line
) -> int:
    """Connects the queued call to this operator's desk phone; returns its incident's id."""
    if not desk_phone:
        raise IncidentError(
            "Isi nomor telepon meja Anda saat mulai bertugas untuk menerima panggilan."
        )
    now = utcnow()
    async with engine.begin() as conn:
        call = await _call(conn, call_id, lock=True)
        if call.state != calls.QUEUED or call.incident_id is None:
            raise IncidentConflict(_why_not_queued(call))
        await incidents.accept_in(conn, call.incident_id, person, now)
        await conn.execute(
            update(voice_calls)
            .where(_c.id == call.id)
            .values(state=calls.CONNECTING, operator_id=person.id)
        )
        bridge = line.voice.bridge(
            desk_phone,
            line.caller_id,
            action=line.url(f"/dialled?call={call.call_sid}"),
            answered=line.url(f"/answered?call={call.call_sid}"),
        )
        await sends.connect_call(conn, call.incident_id, call.call_sid, bridge, now)
        await incidents.record(conn, call.incident_id, "call_taken", at=now, actor=person)
        return int(call.incident_id)


async def connected(conn: AsyncConnection, call: Any, now: datetime) -> None:
    """The operator's phone picked up: the caller is speaking with a person."""
    if call.state != calls.CONNECTING:
        return
    await conn.execute(
        update(voice_calls).where(_c.id == call.id).values(state=calls.CONNECTED, connected_at=now)
    )
    if call.incident_id:
        await incidents.record(conn, call.incident_id, "call_connected", at=now)
        await incidents.announce(conn, call.incident_id)


async def dial_ended(
    conn: AsyncConnection, call: Any, outcome: str, line: Line, now: datetime
) -> str:
    """After the bridge: hang up if they spoke; otherwise the caller waits again for anyone."""
    if outcome in SPOKE or call.state not in (calls.CONNECTING, calls.CONNECTED):
        return line.voice.hangup()
    await conn.execute(
        update(voice_calls).where(_c.id == call.id).values(state=calls.QUEUED, operator_id=None)
    )
    if call.incident_id:
        await incidents.release_in(
            conn, call.incident_id, now, f"Telepon meja operator tidak menjawab ({outcome})."
        )
    queue = line.prank_queue if call.queue == calls.PRANK_QUEUE else line.queue
    return line.voice.enqueue(("operator_missed",), queue, line.url("/wait"))


async def sort(
    engine: AsyncEngine,
    call_id: int,
    person: people.Person,
    sorting: Sorting,
    directory: Directory,
) -> None:
    """Records what the call was. A real emergency stays open for dispatch; the
    rest are resolved with the operator's word, and a prank gets its warning."""
    if sorting.kind not in LABELS:
        raise IncidentError("Pilih jenis panggilan.")
    if sorting.kind == calls.VALID and sorting.emergency not in emergencies(directory):
        raise IncidentError("Pilih jenis keadaan darurat.")
    now = utcnow()
    async with engine.begin() as conn:
        call = await _call(conn, call_id, lock=True)
        if call.incident_id is None:
            raise IncidentError("Panggilan ini belum masuk antrean operator.")
        incident = await incidents.load(conn, call.incident_id)
        if incident.state == incidents.OPEN:
            await incidents.accept_in(conn, incident.id, person, now)
        elif (
            incident.state == incidents.ACCEPTED
            and incident.owner_id != person.id
            and incidents.SUPERVISOR not in person.roles
        ):
            raise IncidentConflict("Panggilan ini ditangani operator lain.")
        values: dict = {"class": sorting.kind}
        if sorting.kind == calls.PRANK and call.contact and call.message_state == "none":
            values.update(calls.message_fields(calls.PRANK, now))
        await conn.execute(update(voice_calls).where(_c.id == call.id).values(**values))
        data: Dict[str, Any] = {"class": sorting.kind, "label": LABELS[sorting.kind]}
        if sorting.kind == calls.VALID:
            await conn.execute(
                update(incidents.incidents)
                .where(incidents.incidents.c.id == incident.id)
                .values(kind=sorting.emergency)
            )
            data["emergency"] = sorting.emergency
        await incidents.record(
            conn,
            incident.id,
            "call_sorted",
            at=now,
            actor=person,
            text=sorting.note or None,
            data=data,
        )
        await incidents.announce(conn, incident.id)
    if sorting.kind == calls.VALID and sorting.agencies:
        await incidents.dispatch(engine, incident.id, person, sorting.agencies, directory)
    elif sorting.kind != calls.VALID and incident.state != incidents.RESOLVED:
        note = sorting.note.strip() or LABELS[sorting.kind]
        await incidents.resolve(engine, incident.id, person, note)


async def clear_prank(engine: AsyncEngine, caller: str, person: people.Person) -> None:
    """A supervisor's word: this number's earlier pranks no longer count."""
    if incidents.SUPERVISOR not in person.roles:
        raise IncidentError("Hanya kepala regu 112 yang dapat menghapus tanda iseng.")
    now = utcnow()
    async with engine.begin() as conn:
        values = {"caller": caller, "prank_cleared_at": now, "cleared_by": person.username}
        insert = insert_ignoring(conn, voice_callers, "caller")
        result = await conn.execute(insert.values(values))
        if not result.rowcount:
            await conn.execute(
                update(voice_callers)
                .where(voice_callers.c.caller == caller)
                .values(prank_cleared_at=now, cleared_by=person.username)
            )
        await people.audit(
            conn, person.username, "voice.prank_cleared", "caller", caller[:64], {}, now
        )


async def _call(conn: AsyncConnection, call_id: int, lock: bool = False) -> Any:
    query = select(voice_calls).where(_c.id == call_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise IncidentError("Panggilan tidak ditemukan.")
    return row


def _why_not_queued(call: Any) -> str:
    if call.state in (calls.CONNECTING, calls.CONNECTED):
        return "Panggilan ini sudah diambil operator lain."
    if call.dropped:
        return "Penelepon sudah menutup telepon. Gunakan tombol telepon balik."
    return "Panggilan ini tidak lagi menunggu di antrean."

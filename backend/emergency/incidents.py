"""An incident's life: filed by the bot, accepted, worked and resolved by a 112 operator.

Every change is one transaction holding the change itself, its timeline
entry (incident_events: the seconds the city's review asks for), what it
must send outside the database (incident_sends: the citizen's messages,
pausing or resuming the bot, a call) and the console's live alert, which is
published last (backend/live.py). So a change is never half-made, never
unannounced, and never forgotten by the outside world when a send fails:
the send is retried by every replica (backend/emergency/sends.py).

Exactly one operator owns an accepted incident: accepting is a conditional
update (`WHERE state = 'open'`), so of two operators racing, one wins and
the other is told who did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Optional, Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import live, people
from backend.emergency import sends, shifts, texts
from backend.emergency.agencies import Directory
from backend.tables import incident_events, incidents, users
from lapor import channels
from lapor.db import insert_ignoring
from lapor.privacy import mask_text
from lapor.timeutil import utcnow
from lapor.wilayah import default_wilayah

OPEN, ACCEPTED, RESOLVED = "open", "accepted", "resolved"
TOPIC = sends.TOPIC
ROLES = sends.ROLES
SUPERVISOR = "operator_supervisor"
MAX_TEXT = 2000
MAX_TRANSCRIPT = 20
# What the channels write for a shared pin or photo (bot/channels/inbound.py).
CHANNEL_COMMANDS = ("/share_location", "/share_photo", "/share_voice")

_i = incidents.c


class IncidentError(ValueError):
    """A change that cannot be made; the message is for the operator (Indonesian)."""


class IncidentConflict(IncidentError):
    """The incident moved on (another operator was first, or its state changed):
    not the operator's input at fault, the page they acted on is out of date."""


@dataclass(frozen=True)
class Place:
    text: Optional[str] = None
    kelurahan: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None

    @property
    def empty(self) -> bool:
        return not (self.text or self.kelurahan or self.has_pin)

    @property
    def has_pin(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def columns(self) -> Dict[str, Any]:
        """Only what this place says: a pin does not erase a typed place, nor the reverse."""
        values: Dict[str, Any] = {}
        if self.text:
            values["location_text"] = self.text
        if self.kelurahan:
            values["kelurahan"] = self.kelurahan
        if self.has_pin:
            values.update(latitude=self.latitude, longitude=self.longitude)
        return values

    def data(self) -> Dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Report:
    """An emergency as the bot saw it (backend/emergency/api.py checks the input)."""

    key: str
    kind: str
    channel: str
    conversation_id: str
    text: str
    received_at: datetime
    contact: Optional[str] = None
    place: Place = Place()
    transcript: Sequence[Dict[str, Any]] = field(default_factory=tuple)


@dataclass(frozen=True)
class Filed:
    id: int
    key: str
    state: str
    operators_on_duty: int
    created: bool


async def file(engine: AsyncEngine, report: Report) -> Filed:
    """Creates the incident and alerts every operator, or returns the one with this key."""
    async with engine.begin() as conn:
        return await file_in(conn, report, utcnow())


async def file_in(conn: AsyncConnection, report: Report, now: datetime) -> Filed:
    """`file`, inside the caller's transaction (a 112 call queued: backend/voice/calls.py)."""
    on_duty = await shifts.on_duty_count(conn, now)
    result = await conn.execute(
        insert_ignoring(conn, incidents, "key").values(_new_row(report, on_duty, now))
    )
    row = await _by_key(conn, report.key)
    created = bool(result.rowcount)
    if created:
        await record(conn, row.id, "received", at=report.received_at, text=row.text)
        if not report.place.empty:
            await record(conn, row.id, "location", at=report.received_at, data=report.place.data())
        await record(conn, row.id, "alerted", at=now, data={"operators_on_duty": on_duty})
        await publish(conn, row, "created")
    return Filed(row.id, row.key, row.state, on_duty, created)


async def annotate(
    engine: AsyncEngine, key: str, kind: str, text: Optional[str], place: Place, at: datetime
) -> Optional[Filed]:
    """The citizen added something through the bot: a place, or that it is safe now.

    Nothing here closes an incident: "sudah aman" is for the operator to read."""
    async with engine.begin() as conn:
        row = await _by_key(conn, key)
        if row is None:
            return None
        if kind == "location" and not place.empty:
            await conn.execute(update(incidents).where(_i.id == row.id).values(place.columns()))
            await record(conn, row.id, "location", at=at, text=_clean(text), data=place.data())
        else:
            await record(conn, row.id, "citizen_safe", at=at, text=_clean(text))
        on_duty = await shifts.on_duty_count(conn)
        await publish(conn, row, "updated")
    return Filed(row.id, row.key, row.state, on_duty, False)


async def mark_seen(engine: AsyncEngine, incident_id: int, person: people.Person) -> bool:
    """An operator's console showed the alert; the first one is the incident's `seen`."""
    now = utcnow()
    async with engine.begin() as conn:
        result = await conn.execute(
            update(incidents).where(_i.id == incident_id, _i.seen_at.is_(None)).values(seen_at=now)
        )
        if not result.rowcount:
            return False
        await record(conn, incident_id, "seen", at=now, actor=person)
        await publish(conn, await _by_id(conn, incident_id), "updated")
    return True


async def accept(engine: AsyncEngine, incident_id: int, person: people.Person) -> None:
    async with engine.begin() as conn:
        await accept_in(conn, incident_id, person, utcnow())


async def accept_in(
    conn: AsyncConnection, incident_id: int, person: people.Person, now: datetime
) -> Any:
    """`accept`, inside the caller's transaction; returns the incident's row."""
    result = await conn.execute(
        update(incidents)
        .where(_i.id == incident_id, _i.state == OPEN)
        .values(state=ACCEPTED, owner_id=person.id, accepted_at=now)
    )
    row = await _by_id(conn, incident_id)
    if not result.rowcount:
        raise IncidentConflict(await _why_not_open(conn, row))
    await record(conn, incident_id, "accepted", at=now, actor=person)
    # The bot stops answering; the citizen hears a person has the case.
    await sends.pause_bot(conn, row, now)
    name = person.display_name or texts.OPERATOR
    await sends.message(conn, row, texts.ACCEPTED.format(name=name), now, texts.OPERATOR)
    await publish(conn, row, "accepted")
    return row


async def release_in(conn: AsyncConnection, incident_id: int, now: datetime, why: str) -> None:
    """Back to every operator: the one who took a 112 call could not be reached by phone."""
    await conn.execute(
        update(incidents)
        .where(_i.id == incident_id, _i.state == ACCEPTED)
        .values(state=OPEN, owner_id=None, accepted_at=None)
    )
    await record(conn, incident_id, "released", at=now, text=why)
    await announce(conn, incident_id)


async def reply(engine: AsyncEngine, incident_id: int, person: people.Person, text: str) -> None:
    """The operator's words to the citizen, on the citizen's channel."""
    words = _required(text, "Tulis balasan untuk pelapor.")
    now = utcnow()
    async with engine.begin() as conn:
        row = await _owned(conn, incident_id, person)
        if row.channel not in channels.REACHABLE:
            raise IncidentError("Pelapor menelepon 112: balasan tertulis tidak dapat dikirim.")
        await record(conn, incident_id, "operator_reply", at=now, actor=person, text=words)
        await sends.message(conn, row, words, now, author=texts.OPERATOR)
        await publish(conn, row, "updated")


async def dispatch(
    engine: AsyncEngine,
    incident_id: int,
    person: people.Person,
    codes: Sequence[str],
    directory: Directory,
) -> None:
    """Records that these agencies were called (now), one timeline entry each."""
    chosen = [directory.agencies[c] for c in dict.fromkeys(codes) if c in directory.agencies]
    if not chosen:
        raise IncidentError("Pilih instansi yang dihubungi.")
    now = utcnow()
    async with engine.begin() as conn:
        row = await _owned(conn, incident_id, person)
        for agency in chosen:
            data = {"agency": agency.code, "name": agency.name, "phone": agency.phone}
            await record(conn, incident_id, "dispatched", at=now, actor=person, data=data)
        await publish(conn, row, "updated")


async def add_note(engine: AsyncEngine, incident_id: int, person: people.Person, text: str) -> None:
    words = _required(text, "Tulis catatannya.")
    now = utcnow()
    async with engine.begin() as conn:
        row = await _by_id(conn, incident_id)
        if row is None:
            raise IncidentError("Kejadian tidak ditemukan.")
        await record(conn, incident_id, "note", at=now, actor=person, text=words)
        await publish(conn, row, "updated")


async def hand_over(
    engine: AsyncEngine, incident_id: int, person: people.Person, to: people.Person
) -> None:
    """Gives the incident to the shift lead (an operator_supervisor)."""
    if SUPERVISOR not in to.roles or not to.active:
        raise IncidentError("Kejadian hanya dapat diserahkan kepada kepala regu 112 yang aktif.")
    now = utcnow()
    async with engine.begin() as conn:
        row = await _owned(conn, incident_id, person)
        await conn.execute(update(incidents).where(_i.id == incident_id).values(owner_id=to.id))
        data = {"to": to.username, "to_name": to.display_name}
        await record(conn, incident_id, "handed_over", at=now, actor=person, data=data)
        await publish(conn, row, "updated")


async def resolve(engine: AsyncEngine, incident_id: int, person: people.Person, note: str) -> None:
    """Closes the incident: the citizen is told, then the bot answers again."""
    words = _required(note, "Tulis catatan penyelesaian.")
    now = utcnow()
    async with engine.begin() as conn:
        row = await _by_id(conn, incident_id)
        if row is None:
            raise IncidentError("Kejadian tidak ditemukan.")
        if row.state == ACCEPTED:
            row = await _owned(conn, incident_id, person)
        elif row.state == RESOLVED:
            raise IncidentConflict("Kejadian ini sudah selesai.")
        await conn.execute(
            update(incidents)
            .where(_i.id == incident_id)
            .values(
                state=RESOLVED,
                resolved_at=now,
                resolution=words,
                owner_id=row.owner_id or person.id,
            )
        )
        await record(conn, incident_id, "resolved", at=now, actor=person, text=words)
        await sends.message(conn, row, texts.RESOLVED.format(note=words), now)
        if row.state == ACCEPTED:  # only an accepted incident paused the bot
            await sends.resume_bot(conn, row, now)
        await publish(conn, row, "resolved")


async def call_back(
    engine: AsyncEngine, incident_id: int, person: people.Person, desk_phone: Optional[str]
) -> None:
    """Rings the operator's desk phone and bridges it to the citizen's WhatsApp number.

    The sealed number is opened only when the call is placed (sends.py); this
    request is audited as access to personal data."""
    if not desk_phone:
        raise IncidentError(
            "Isi nomor telepon meja Anda saat mulai bertugas untuk memakai telepon balik."
        )
    now = utcnow()
    async with engine.begin() as conn:
        row = await _owned(conn, incident_id, person)
        if not row.contact:
            raise IncidentError("Nomor pelapor tidak tersedia (bukan laporan WhatsApp).")
        await record(conn, incident_id, "callback", at=now, actor=person)
        await people.audit(
            conn, person.username, "incident.callback", "incident", str(incident_id), {}, now
        )
        await sends.bridge_call(conn, row, desk_phone, now)
        await publish(conn, row, "updated")


async def citizen_said(
    conn: AsyncConnection, incident: Any, at: datetime, text: Optional[str], data: Dict[str, Any]
) -> None:
    """A later message of the citizen (from the conversation pipeline, in its transaction)."""
    pin = data.get("location") or {}
    lat, lon = pin.get("latitude"), pin.get("longitude")
    area = default_wilayah().locate(lat, lon) if lat is not None and lon is not None else None
    place = Place(kelurahan=area.name if area else None, latitude=lat, longitude=lon)
    if place.has_pin:
        await conn.execute(update(incidents).where(_i.id == incident.id).values(place.columns()))
    kind = "location" if place.has_pin else "photo" if data.get("media_urls") else "citizen_message"
    kind = "voice_note" if data.get("voice_urls") and kind == "citizen_message" else kind  # voice
    if kind != "citizen_message" and (text or "").startswith(CHANNEL_COMMANDS):
        text = None  # "/share_location{...}" says nothing the pin does not
    await record(conn, incident.id, kind, at=at, text=text, data=data or None)


# ---- inside a transaction --------------------------------------------------


def _new_row(report: Report, on_duty: int, now: datetime) -> Dict[str, Any]:
    return {
        "key": report.key,
        "kind": report.kind,
        "state": OPEN,
        "channel": report.channel,
        "conversation_key": report.conversation_id,
        "contact": report.contact,
        "text": _clean(report.text),
        "transcript": [_masked(m) for m in list(report.transcript)[-MAX_TRANSCRIPT:]],
        "operators_on_duty": on_duty,
        "received_at": report.received_at,
        "created_at": now,
        "alerted_at": now,
        **report.place.columns(),
    }


def _masked(message: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "who": "user" if message.get("who") == "user" else "bot",
        "text": _clean(str(message.get("text") or "")) or "",
        "at": str(message.get("at") or ""),
    }


def _clean(text: Optional[str]) -> Optional[str]:
    """Masked (phone numbers, NIK) and bounded; None when empty."""
    words = (text or "").strip()[:MAX_TEXT]
    return mask_text(words) if words else None


def _required(text: str, problem: str) -> str:
    words = (text or "").strip()
    if not words:
        raise IncidentError(problem)
    if len(words) > MAX_TEXT:
        raise IncidentError(f"Teks terlalu panjang (paling banyak {MAX_TEXT} huruf).")
    return words


async def _by_key(conn: AsyncConnection, key: str) -> Any:
    return (await conn.execute(select(incidents).where(_i.key == key))).first()


async def _by_id(conn: AsyncConnection, incident_id: int) -> Any:
    return (await conn.execute(select(incidents).where(_i.id == incident_id))).first()


async def _owned(conn: AsyncConnection, incident_id: int, person: people.Person) -> Any:
    """The accepted incident, if this person may work on it (its owner, or a shift lead)."""
    row = await _by_id(conn, incident_id)
    if row is None:
        raise IncidentError("Kejadian tidak ditemukan.")
    if row.state == OPEN:
        raise IncidentConflict("Terima kejadian ini terlebih dahulu.")
    if row.state == RESOLVED:
        raise IncidentConflict("Kejadian ini sudah selesai.")
    if row.owner_id != person.id and SUPERVISOR not in person.roles:
        raise IncidentConflict("Kejadian ini ditangani operator lain.")
    return row


async def _why_not_open(conn: AsyncConnection, row: Any) -> str:
    if row is None:
        return "Kejadian tidak ditemukan."
    if row.state == RESOLVED:
        return "Kejadian ini sudah selesai."
    name = (
        await conn.execute(select(users.c.display_name).where(users.c.id == row.owner_id))
    ).scalar()
    return f"Kejadian ini sudah diterima oleh {name or 'operator lain'}."


async def record(
    conn: AsyncConnection,
    incident_id: int,
    kind: str,
    at: datetime,
    actor: Optional[people.Person] = None,
    text: Optional[str] = None,
    data: Optional[Dict[str, Any]] = None,
) -> None:
    await conn.execute(
        insert(incident_events).values(
            incident_id=incident_id,
            at=at,
            kind=kind,
            actor_id=actor.id if actor else None,
            text=text,
            data=data,
        )
    )


async def publish(conn: AsyncConnection, row: Any, change: str) -> None:
    """The incident's live event for the operators' consoles; last in the
    transaction (live.publish holds its lock until commit)."""
    data = {"incident_id": row.id, "change": change, "kind": row.kind}
    await live.publish(conn, TOPIC, data, roles=ROLES)


async def announce(conn: AsyncConnection, incident_id: int, change: str = "updated") -> None:
    """`publish`, for a change made elsewhere (a 112 call's step: backend/voice/)."""
    await publish(conn, await _by_id(conn, incident_id), change)


async def load(conn: AsyncConnection, incident_id: int) -> Any:
    """The incident's row (None when there is none)."""
    return await _by_id(conn, incident_id)

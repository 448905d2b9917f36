"""The action server's way in: file an emergency, add to it, read it back.

JSON over HTTP in the shape of backend/json_api.py (bearer key, Open311
errors). Creating is idempotent by `key`: the
action server retries a creation it could not confirm, and gets the same
incident back.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from pydantic import BaseModel, Field, confloat, constr, validator
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy import select

from backend import json_api
from backend.emergency import incidents
from backend.errors import Open311Error
from backend.tables import incident_events
from backend.tables import incidents as table
from lapor import channels

bp = Blueprint("emergency_api", url_prefix="/emergency/v1")

MAX_MESSAGES = 50


class PlaceIn(BaseModel):
    text: Optional[constr(max_length=500)] = None  # type: ignore[valid-type]
    kelurahan: Optional[constr(max_length=128)] = None  # type: ignore[valid-type]
    latitude: Optional[confloat(ge=-90, le=90)] = None  # type: ignore[valid-type]
    longitude: Optional[confloat(ge=-180, le=180)] = None  # type: ignore[valid-type]

    def place(self) -> incidents.Place:
        return incidents.Place(
            self.text or None, self.kelurahan or None, self.latitude, self.longitude
        )


class MessageIn(BaseModel):
    who: constr(regex=r"^(user|bot)$")  # type: ignore[valid-type]
    text: constr(max_length=4000) = ""  # type: ignore[valid-type]
    at: Optional[datetime] = None


class IncidentIn(BaseModel):
    key: json_api.IdempotencyKey  # type: ignore[valid-type]
    kind: constr(regex=r"^emergency_[a-z_]{1,40}$")  # type: ignore[valid-type]
    channel: constr(max_length=32) = channels.OTHER  # type: ignore[valid-type]
    conversation_id: constr(min_length=1, max_length=128)  # type: ignore[valid-type]
    contact: Optional[constr(max_length=1000)] = None  # type: ignore[valid-type]
    text: constr(max_length=4000) = ""  # type: ignore[valid-type]
    location: Optional[PlaceIn] = None
    transcript: List[MessageIn] = Field(default_factory=list, max_items=MAX_MESSAGES)
    received_at: datetime

    @validator("received_at")
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone")
        return value


class UpdateIn(BaseModel):
    kind: constr(regex=r"^(location|safe)$")  # type: ignore[valid-type]
    text: Optional[constr(max_length=4000)] = None  # type: ignore[valid-type]
    location: Optional[PlaceIn] = None
    at: Optional[datetime] = None


@bp.post("/incidents")
async def create(request: Request) -> HTTPResponse:
    ctx = json_api.authorised(request)
    body = json_api.parse(IncidentIn, request)
    report = incidents.Report(
        key=body.key,
        kind=body.kind,
        channel=body.channel if body.channel in channels.TICKET_CHANNELS else channels.OTHER,
        conversation_id=body.conversation_id,
        text=body.text,
        received_at=body.received_at,
        contact=body.contact or None,
        place=body.location.place() if body.location else incidents.Place(),
        transcript=[
            {"who": m.who, "text": m.text, "at": m.at.isoformat() if m.at else ""}
            for m in body.transcript
        ],
    )
    filed = await incidents.file(ctx.engine, report)
    return json(_filed(filed), status=201 if filed.created else 200)


@bp.post("/incidents/<key>/updates")
async def add(request: Request, key: str) -> HTTPResponse:
    ctx = json_api.authorised(request)
    body = json_api.parse(UpdateIn, request)
    place = body.location.place() if body.location else incidents.Place()
    at = body.at or datetime.now(timezone.utc)
    filed = await incidents.annotate(ctx.engine, key[:64], body.kind, body.text, place, at)
    if filed is None:
        raise Open311Error.one(404, f"no incident with key {key[:64]!r}")
    return json(_filed(filed))


@bp.get("/incidents/<key>")
async def read(request: Request, key: str) -> HTTPResponse:
    ctx = json_api.authorised(request)
    async with ctx.engine.connect() as conn:
        row = (await conn.execute(select(table).where(table.c.key == key[:64]))).first()
        if row is None:
            raise Open311Error.one(404, f"no incident with key {key[:64]!r}")
        events = (
            await conn.execute(
                select(incident_events.c.kind, incident_events.c.at, incident_events.c.text)
                .where(incident_events.c.incident_id == row.id)
                .order_by(incident_events.c.at, incident_events.c.id)
            )
        ).all()
    return json(
        {
            "id": row.id,
            "key": row.key,
            "kind": row.kind,
            "state": row.state,
            "channel": row.channel,
            "location": {
                "text": row.location_text,
                "kelurahan": row.kelurahan,
                "latitude": row.latitude,
                "longitude": row.longitude,
            },
            "updates": [{"kind": e.kind, "at": e.at.isoformat(), "text": e.text} for e in events],
        }
    )


def _filed(filed: incidents.Filed) -> Dict[str, Any]:
    return {
        "id": filed.id,
        "key": filed.key,
        "state": filed.state,
        "operators_on_duty": filed.operators_on_duty,
        "created": filed.created,
    }

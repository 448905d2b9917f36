"""Emergencies reach the live 112 operators: the actions against the real backend.

The backend runs as a server on a PostgreSQL database of this module's own,
so a test can put an operator on duty or resolve an incident the way the
console does (backend/emergency/), and read the result back through the
backend's API (GET /emergency/v1/incidents/<key>).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

import aiohttp
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from actions import texts
from actions.emergency import AllClear, Emergency, EmergencyRecorded
from actions.incidents import IncidentClient, IncidentQueue, Job, pending_incidents
from actions.outbox import Outbox
from actions.settings import ActionSettings
from backend import people
from backend.emergency import incidents as city_incidents
from backend.emergency import shifts
from backend.tables import incidents as incident_table
from lapor.db import create_engine
from lapor.timeutil import utcnow
from tests import servers
from tests.actions.trackers import domain, entity, slot_events, tracker
from tests.conftest import _create_postgres_database, _drop_postgres_database

AUTH = {"Authorization": "Bearer test-api-key"}


@dataclass(frozen=True)
class City:
    server: servers.Server
    database_url: str


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    url = _create_postgres_database()
    try:
        with servers.backend(url, tmp_path_factory.mktemp("incident-backend")) as server:
            yield City(server, url)
    finally:
        _drop_postgres_database(url)


@pytest.fixture
async def engine(city: City) -> AsyncIterator[AsyncEngine]:
    """The backend's database, for what only the console does."""
    engine = create_engine(city.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def settings(city: City, tmp_path: Path) -> AsyncIterator[ActionSettings]:
    settings = ActionSettings.load(
        backend_url=city.server.url,
        open311_api_key="test-api-key",
        outbox_url=f"sqlite:///{tmp_path / 'outbox.sqlite3'}",
        # Generous on a busy test machine: these tests are about what arrives.
        incident_timeout=10,
    )
    yield settings
    await IncidentQueue.shared(settings.outbox_url).close()


def _down(settings: ActionSettings) -> ActionSettings:
    """The same outbox, but nobody listens where the backend should be."""
    return settings.copy(update={"backend_url": f"http://127.0.0.1:{servers.free_port()}"})


def _sender() -> str:
    return f"web-{uuid.uuid4().hex}"


def _message(
    text: str,
    intent: str,
    sender: str,
    *,
    slots: Optional[Dict[str, Any]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    """A tracker whose latest message was sent now (its time makes the incident key)."""
    t = tracker(
        text,
        intent,
        sender_id=sender,
        slots=slots,
        entities=entities,
        metadata=metadata,
        events=events,
    )
    t.events[-1]["timestamp"] = time.time()
    return t


async def _emergency(
    settings: ActionSettings, t: Tracker
) -> tuple[Dict[str, Any], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await Emergency(settings).run(dispatcher, t, domain())
    return slot_events(events), dispatcher.messages


async def _read(city: City, key: str) -> Optional[Dict[str, Any]]:
    """The incident as the backend's API shows it; None when it has none with that key."""
    url = f"{city.server.url}/emergency/v1/incidents/{key}"
    async with aiohttp.ClientSession() as session, session.get(url, headers=AUTH) as response:
        if response.status == 404:
            return None
        assert response.status == 200, await response.text()
        body: Dict[str, Any] = await response.json()
        return body


async def _incidents_of(engine: AsyncEngine, sender: str) -> List[Any]:
    statement = (
        select(incident_table)
        .where(incident_table.c.conversation_key == sender)
        .order_by(incident_table.c.id)
    )
    async with engine.connect() as conn:
        return list((await conn.execute(statement)).all())


async def _operator(engine: AsyncEngine) -> people.Person:
    name = f"op-{uuid.uuid4().hex[:8]}"
    return await people.create_user(engine, name, "a long enough password 112", ["operator"])


async def test_an_emergency_becomes_an_incident_in_the_same_turn(
    settings: ActionSettings, city: City, engine: AsyncEngine
) -> None:
    sender = _sender()
    earlier = [
        {"event": "user", "text": "halo min", "timestamp": time.time() - 60},
        {"event": "bot", "text": "Selamat datang", "timestamp": time.time() - 59},
    ]
    t = _message(
        "KEBAKARAN di jl dhoho tolong",
        "emergency_fire",
        sender,
        entities=[entity("location", "jl dhoho")],
        metadata={"contact": "sealed-phone-token"},
        events=earlier,
    )
    slots, messages = await _emergency(settings, t)
    assert messages[0]["custom"]["data"]["href"] == "tel:112"
    # Nobody is on duty: recorded, and the citizen must call.
    assert messages[-1]["text"] == texts.INCIDENT_NOBODY_ON_DUTY
    assert len(messages) == 3
    stored = await _read(city, slots["incident_key"])
    assert stored is not None
    assert (stored["kind"], stored["state"], stored["channel"]) == ("emergency_fire", "open", "web")
    assert stored["location"]["text"] == "jl dhoho"
    (row,) = await _incidents_of(engine, sender)
    assert row.contact == "sealed-phone-token"
    # The operator reads the conversation up to the emergency, oldest first.
    assert [m["who"] for m in row.transcript] == ["user", "bot", "user"]
    assert row.transcript[0]["text"] == "halo min"


async def test_with_an_officer_on_duty_the_citizen_is_told_to_stay_in_the_chat(
    settings: ActionSettings, city: City, engine: AsyncEngine
) -> None:
    officer = await _operator(engine)
    await shifts.start(engine, officer.id, None)
    try:
        slots, messages = await _emergency(
            settings, _message("tolong ada orang pingsan", "emergency_medical", _sender())
        )
    finally:
        await shifts.end(engine, officer.id)
    assert messages[-1]["text"] == texts.INCIDENT_ON_DUTY
    assert await _read(city, slots["incident_key"]) is not None


async def test_a_refused_incident_is_not_claimed_as_recorded(
    settings: ActionSettings, engine: AsyncEngine
) -> None:
    sender = "x" * 300  # longer than any conversation the backend stores: a 400
    slots, messages = await _emergency(settings, _message("tolong", "emergency_crime", sender))
    assert messages[0]["custom"]["data"]["href"] == "tel:112"
    assert messages[-1]["text"] == texts.INCIDENT_NOT_SENT
    assert "incident_key" not in slots
    assert await IncidentQueue.shared(settings.outbox_url).pending() == 0


async def test_an_unreachable_backend_keeps_the_incident_and_the_worker_creates_it_once(
    settings: ActionSettings, city: City, engine: AsyncEngine
) -> None:
    sender = _sender()
    slots, messages = await _emergency(
        _down(settings), _message("kecelakaan motor", "emergency_accident", sender)
    )
    assert messages[-1]["text"] == texts.INCIDENT_KEPT
    key = slots["incident_key"]
    queue = IncidentQueue.shared(settings.outbox_url)
    assert await queue.pending() == 1
    assert await _read(city, key) is None
    # The backend is back: the worker creates it, once.
    client = IncidentClient(settings)
    assert await queue.flush(client) == 1
    assert await queue.flush(client) == 0
    assert await queue.pending() == 0
    stored = await _read(city, key)
    assert stored is not None and stored["kind"] == "emergency_accident"
    assert len(await _incidents_of(engine, sender)) == 1


async def test_a_creation_that_arrived_after_all_is_not_doubled_by_the_worker(
    settings: ActionSettings, engine: AsyncEngine
) -> None:
    sender = _sender()
    slots, _ = await _emergency(settings, _message("tolong banjir", "emergency_disaster", sender))
    (row,) = await _incidents_of(engine, sender)
    # As if the turn had timed out after the backend took the incident.
    job = Job.creation({"key": slots["incident_key"], **_creation_of(row)})
    queue = IncidentQueue.shared(settings.outbox_url)
    await queue.put(job)
    assert await queue.flush(IncidentClient(settings)) == 1
    assert len(await _incidents_of(engine, sender)) == 1


def _creation_of(row: Any) -> Dict[str, Any]:
    return {
        "kind": row.kind,
        "channel": row.channel,
        "conversation_id": row.conversation_key,
        "contact": None,
        "text": "tolong banjir",
        "location": None,
        "transcript": [],
        "received_at": utcnow().isoformat(),
    }


async def test_the_place_given_later_is_added_to_the_incident(
    settings: ActionSettings, city: City
) -> None:
    sender = _sender()
    slots, _ = await _emergency(settings, _message("tolong!!", "emergency_fire", sender))
    key = slots["incident_key"]
    dispatcher = CollectingDispatcher()
    answer = _message(
        "depan pasar setonobetek kel kemasan",
        "inform_location",
        sender,
        slots={"incident_key": key, "emergency_location": "depan pasar setonobetek kel kemasan"},
    )
    events = await EmergencyRecorded(settings).run(dispatcher, answer, domain())
    where = "depan pasar setonobetek kel kemasan"
    assert dispatcher.messages[0]["text"] == texts.PLACE_FORWARDED.format(where=where)
    assert "tel:112" in dispatcher.messages[1]["text"]
    assert slot_events(events) == {"incident_location": "delivered"}
    stored = await _read(city, key)
    assert stored is not None
    assert stored["location"]["text"] == where
    assert stored["location"]["kelurahan"] == "Kemasan"
    assert "location" in [u["kind"] for u in stored["updates"]]


async def test_a_shared_pin_reaches_the_incident(settings: ActionSettings, city: City) -> None:
    sender = _sender()
    slots, _ = await _emergency(settings, _message("ada begal", "emergency_crime", sender))
    key = slots["incident_key"]
    pin = _message(
        "",
        "share_location",
        sender,
        slots={"incident_key": key, "emergency_location": "-7.81673, 112.01201"},
        metadata={"location": {"latitude": -7.816731, "longitude": 112.012012}},
    )
    await EmergencyRecorded(settings).run(CollectingDispatcher(), pin, domain())
    stored = await _read(city, key)
    assert stored is not None
    place = stored["location"]
    assert (place["latitude"], place["longitude"]) == (-7.816731, 112.012012)
    assert place["kelurahan"] == "Setonogedong"


async def test_a_place_kept_while_the_backend_is_down_follows_its_incident(
    settings: ActionSettings, city: City
) -> None:
    sender, down = _sender(), _down(settings)
    slots, _ = await _emergency(down, _message("tolong", "emergency_medical", sender))
    key = slots["incident_key"]
    dispatcher = CollectingDispatcher()
    answer = _message(
        "jl veteran",
        "inform_location",
        sender,
        slots={"incident_key": key, "emergency_location": "jl veteran"},
    )
    await EmergencyRecorded(down).run(dispatcher, answer, domain())
    assert dispatcher.messages[0]["text"] == texts.PLACE_KEPT.format(where="jl veteran")
    # Both in one round, the incident first.
    assert await IncidentQueue.shared(settings.outbox_url).flush(IncidentClient(settings)) == 2
    stored = await _read(city, key)
    assert stored is not None and stored["location"]["text"] == "jl veteran"


async def test_an_update_that_overtakes_its_incident_waits_for_it(
    settings: ActionSettings, city: City
) -> None:
    key = uuid.uuid4().hex
    at = utcnow().isoformat()
    queue = IncidentQueue.shared(settings.outbox_url)
    await queue.put(
        Job.update(key, {"kind": "safe", "text": "sudah aman", "location": None, "at": at})
    )
    client = IncidentClient(settings)
    assert await queue.flush(client) == 0  # 404: no such incident yet
    assert await queue.pending() == 1
    sender = _sender()
    body: Dict[str, Any] = {
        "key": key,
        "kind": "emergency_fire",
        "channel": "web",
        "conversation_id": sender,
        "contact": None,
        "text": "kebakaran",
        "location": None,
        "transcript": [],
        "received_at": at,
    }
    assert (await client.send(Job.creation(body))).created
    # Due again (the backoff is seconds; the test does not wait for it).
    engine = await queue.engine()
    async with engine.begin() as conn:
        past = utcnow() - timedelta(seconds=1)
        await conn.execute(update(pending_incidents).values(next_attempt_at=past))
    assert await queue.flush(client) == 1
    stored = await _read(city, key)
    assert stored is not None
    assert "sudah aman" in [u["text"] for u in stored["updates"]]


async def test_saying_it_is_over_annotates_the_incident_without_closing_it(
    settings: ActionSettings, city: City
) -> None:
    sender = _sender()
    slots, _ = await _emergency(settings, _message("kebakaran rumah", "emergency_fire", sender))
    key = slots["incident_key"]
    dispatcher = CollectingDispatcher()
    over = _message("apine wis mati", "all_clear", sender, slots={"incident_key": key})
    assert await AllClear(settings).run(dispatcher, over, domain()) == []
    (message,) = dispatcher.messages
    assert message["text"] == texts.OVER_FORWARDED
    stored = await _read(city, key)
    assert stored is not None
    assert stored["state"] == "open"  # only an officer closes it
    assert {"kind": "citizen_safe", "text": "apine wis mati"}.items() <= next(
        u for u in stored["updates"] if u["kind"] == "citizen_safe"
    ).items()


async def test_a_second_emergency_message_finds_the_same_incident(
    settings: ActionSettings, city: City, engine: AsyncEngine
) -> None:
    sender = _sender()
    first, _ = await _emergency(settings, _message("tolong kebakaran", "emergency_fire", sender))
    again = _message(
        "apinya makin besar di gang 5",
        "emergency_fire",
        sender,
        slots={"incident_key": first["incident_key"]},
        entities=[entity("location", "gang 5")],
    )
    second, messages = await _emergency(settings, again)
    assert second["incident_key"] == first["incident_key"]
    assert second["incident_location"] == "delivered"
    assert messages[-1]["text"] == texts.INCIDENT_NOBODY_ON_DUTY
    assert len(await _incidents_of(engine, sender)) == 1
    stored = await _read(city, first["incident_key"])
    assert stored is not None and stored["location"]["text"] == "gang 5"


async def test_a_resolved_incident_gives_the_next_emergency_a_new_one(
    settings: ActionSettings, city: City, engine: AsyncEngine
) -> None:
    sender = _sender()
    first, _ = await _emergency(settings, _message("ada kecelakaan", "emergency_accident", sender))
    (row,) = await _incidents_of(engine, sender)
    officer = await _operator(engine)
    await city_incidents.resolve(engine, row.id, officer, "korban sudah dibawa ke RS")
    again = _message(
        "tolong ada kecelakaan lagi",
        "emergency_accident",
        sender,
        slots={"incident_key": first["incident_key"]},
    )
    second, messages = await _emergency(settings, again)
    assert second["incident_key"] != first["incident_key"]
    assert messages[-1]["text"] == texts.INCIDENT_NOBODY_ON_DUTY
    states = [(r.key, r.state) for r in await _incidents_of(engine, sender)]
    assert states == [(first["incident_key"], "resolved"), (second["incident_key"], "open")]


async def test_a_job_kept_twice_by_a_retried_action_is_one_row(settings: ActionSettings) -> None:
    queue = IncidentQueue.shared(settings.outbox_url)
    job = Job.update("k" * 16, {"kind": "safe", "text": None, "location": None, "at": "x"})
    await queue.put(job)
    await queue.put(job)
    engine = await queue.engine()
    async with engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(pending_incidents))).scalar()
    assert rows == 1 and await queue.pending() == 1


async def test_a_long_message_is_cut_to_what_the_backend_takes_not_refused(
    settings: ActionSettings, city: City
) -> None:
    sender = _sender()
    long = "tolong ada kebakaran di gudang " + "api besar sekali " * 400
    slots, messages = await _emergency(settings, _message(long, "emergency_fire", sender))
    assert messages[-1]["text"] == texts.INCIDENT_NOBODY_ON_DUTY
    assert await _read(city, slots["incident_key"]) is not None


async def test_the_workers_starting_together_share_one_database_setup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    outbox, queue = Outbox.shared(url), IncidentQueue.shared(url)
    # As at startup: the outbox's worker, the incidents' worker and a turn at once.
    engines = await asyncio.gather(outbox.engine(), queue.engine(), queue.pending())
    try:
        assert engines[0] is engines[1] and engines[2] == 0
        assert await outbox.pending() == 0
    finally:
        await queue.close()

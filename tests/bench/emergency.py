"""`make bench-emergency`: how fast an emergency reaches the 112 operators, and
how fast an operator's words reach the citizen.

The real stack on a fresh PostgreSQL database: Rasa with the trained model
and production's endpoints (Redis tracker and lock stores, RabbitMQ event
broker; `--endpoints dev` for `make run`'s), its WhatsApp and web chat
channels sharing socket.io rooms through Redis, the action server, the
backend and the fake Twilio API. K operators are on shift with the
incidents page's live stream open (/console/events, topic "incident"); like
the page's script, each console marks a new alert seen and refetches the
board's list after events. N simulated citizens, half over WhatsApp (signed
Twilio webhooks) and half over web chat (a socket.io client speaking as the
widget does), send an emergency at the same moment; one operator accepts
each incident as soon as its alert arrives and replies (`--think` seconds
later: 0, the worst case, by default).

(a) alert: the citizen's message sent -> the incident's alert read from a
    console's stream; one sample per console, since every operator on duty
    must see it;
(b) reply: an operator's reply POSTed to the console (after accepting it,
    both as a browser does) -> the citizen's channel has it: the fake
    Twilio's Messages.json call, or the widget's `bot_uttered` event.

Prints p50/p95/p99/max in ms, overall and per channel, where the time goes,
and p99 against the goal: under 1,000 ms at 20 concurrent emergencies. The
samples of `--rounds` rounds are pooled (the incidents are resolved between
rounds); a warm-up emergency per channel goes first and is not counted
(Rasa's first messages load the model). Server logs: var/bench/emergency/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import aiohttp
import redis
import socketio
from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from backend import migrate, people
from backend.console import sessions
from backend.emergency import shifts
from backend.emergency.texts import OPERATOR
from backend.tables import incidents
from lapor.contact import ContactCipher
from lapor.db import create_engine
from tests import servers
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.fake_twilio import AUTH_TOKEN, PUBLIC, WHATSAPP_FROM, WHATSAPP_PATH, FakeTwilio
from tests.rabbit import drop_queue, queue_name

GOAL_MS = 1000.0
GOAL = "p99 under 1000 ms at 20 concurrent emergencies"
WHATSAPP, WEB = "whatsapp", "web"
REDIS = "redis://127.0.0.1:6379/0"
RASA_TOKEN = "test-token"
LOGS = servers.REPO_ROOT / "var" / "bench" / "emergency"
# Each one checked to be classified emergency_* by the trained model.
EMERGENCIES = (
    "tolong ada kebakaran rumah di Jl. Dhoho",
    "kecelakaan motor di perempatan Semampir, korban tidak sadar",
    "banjir masuk rumah warga di Ngronggo",
    "tolong ada orang pingsan tidak bernapas di pasar Setonobetek",
    "ada kebakaran gudang di Bandar Lor, apinya besar",
    "tabrakan mobil dan motor di Jl. Hayam Wuruk, ada yang berdarah",
    "tolong rumah saya kemalingan, pencurinya masih di dalam",
    "pohon tumbang menimpa rumah di Mojoroto, ada orang terjepit",
    "ibu saya sesak napas dan tidak sadar, tolong",
    "ada perampokan di toko dekat alun-alun, pelakunya bawa senjata",
)
REPLY = "Bantuan sedang menuju lokasi. Mohon Bapak/Ibu tetap di tempat yang aman."
# python-engineio 4.15's client builds aiohttp.ClientWSTimeout (aiohttp >= 3.10), but
# Rasa 3.6 keeps aiohttp at 3.9, whose ws_connect takes the close timeout as a
# number: without this the widget's transport (a WebSocket) cannot be used here.
if not hasattr(aiohttp, "ClientWSTimeout"):
    aiohttp.ClientWSTimeout = lambda ws_close=10.0, **_: ws_close


@dataclass
class Citizen:
    channel: str
    text: str
    address: str = ""  # WhatsApp: the sender's "whatsapp:+62..."
    key: str = ""  # the conversation key its incident carries
    sent_at: float = 0.0
    heard_at: Optional[float] = None  # when the operator's reply reached the channel
    stored_at: Optional[float] = None  # web chat: when the backend stored the reply in Redis
    client: Optional[socketio.AsyncClient] = None  # web chat: the widget's socket


@dataclass
class TimedTwilio(FakeTwilio):
    """The fake Twilio API, noting when the operator's reply (REPLY) reached each citizen."""

    heard: Dict[str, float] = field(default_factory=dict)

    async def _send(self, request: web.Request) -> web.Response:
        at = time.time()
        form = await request.post()  # kept by aiohttp: the fake reads it again
        if str(form.get("Body", "")) == f"*{OPERATOR}:* {REPLY}":
            self.heard.setdefault(str(form.get("To")), at)
        return await super()._send(request)


@dataclass(frozen=True)
class Operator:
    cookie: str
    csrf: str

    def headers(self) -> Dict[str, str]:
        # As the page script posts: the session cookie, its CSRF token, JSON answers.
        return {
            "cookie": f"{sessions.COOKIE}={self.cookie}",
            "X-CSRF-Token": self.csrf,
            "Accept": "application/json",
        }


@dataclass
class Stack:
    backend: str
    rasa: str
    database_url: str
    twilio: TimedTwilio
    cipher: ContactCipher
    # Every conversation of the run, for cleaning up what it left in Redis.
    conversations: List[str] = field(default_factory=list)


@dataclass
class Desk:
    """The operators' side: what each console heard, and when replies were sent."""

    operators: List[Operator]
    backend: str
    http: aiohttp.ClientSession
    think: float = 0.0  # seconds between accepting and replying
    heard: List[Dict[int, float]] = field(default_factory=list)  # per console: incident -> time
    replied: Dict[int, float] = field(default_factory=dict)  # incident -> reply POSTed
    owners: Dict[int, Operator] = field(default_factory=dict)  # incident -> who accepted it
    problems: List[str] = field(default_factory=list)
    repeated: List[int] = field(default_factory=list)  # per console: alerts heard again
    tasks: List["asyncio.Task[None]"] = field(default_factory=list)

    async def open_consoles(self, streams: aiohttp.ClientSession) -> None:
        ready = [asyncio.Event() for _ in self.operators]
        for index, operator in enumerate(self.operators):
            self.heard.append({})
            self.repeated.append(0)
            dirty = asyncio.Event()
            self._spawn(self._listen(streams, index, operator, ready[index], dirty))
            self._spawn(self._keep_board(operator, dirty))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 30)

    async def _listen(
        self,
        streams: aiohttp.ClientSession,
        index: int,
        operator: Operator,
        ready: asyncio.Event,
        dirty: asyncio.Event,
    ) -> None:
        url = f"{self.backend}/console/events?topics=incident"
        async with streams.get(url, headers=operator.headers()) as stream:
            stream.raise_for_status()
            ready.set()
            async for raw in stream.content:
                line = raw.decode()
                if not line.startswith("data: "):
                    continue
                data = json.loads(line[len("data: ") :])
                if data.get("change") != "sent":  # a delivery changes no board (incidents.js)
                    dirty.set()
                if data.get("change") == "created":
                    self._alerted(index, operator, int(data["incident_id"]))

    def _alerted(self, index: int, operator: Operator, incident_id: int) -> None:
        if incident_id in self.heard[index]:
            self.repeated[index] += 1
            return
        self.heard[index][incident_id] = time.time()
        self._spawn(self._post(operator, incident_id, "seen"))
        # One operator takes it: the incidents are shared out among the consoles.
        if incident_id % len(self.operators) == index:
            self._spawn(self._work(operator, incident_id))

    async def _work(self, operator: Operator, incident_id: int) -> None:
        if await self._post(operator, incident_id, "accept"):
            self.owners[incident_id] = operator
            await asyncio.sleep(self.think)
            self.replied[incident_id] = time.time()
            await self._post(operator, incident_id, "reply", {"text": REPLY})

    async def resolve_all(self, settle: float = 2.0) -> None:
        """Every accepted incident resolved by its owner; then the sends settle."""
        owned, self.owners = self.owners, {}
        note = {"note": "Sudah ditangani petugas di lokasi."}
        await asyncio.gather(*(self._post(o, i, "resolve", note) for i, o in owned.items()))
        await asyncio.sleep(settle)

    async def _keep_board(self, operator: Operator, dirty: asyncio.Event) -> None:
        """The page refetches its list 100 ms after an event (incidents.js), here one at a time."""
        url = f"{self.backend}/console/incidents?part=list"
        while True:
            await dirty.wait()
            await asyncio.sleep(0.1)
            dirty.clear()
            async with self.http.get(url, headers=operator.headers()) as response:
                await response.read()
                if response.status != 200:
                    self.problems.append(f"board list: HTTP {response.status}")

    async def _post(
        self, operator: Operator, incident_id: int, what: str, form: Optional[Dict[str, str]] = None
    ) -> bool:
        url = f"{self.backend}/console/incidents/{incident_id}/{what}"
        async with self.http.post(url, data=form or {}, headers=operator.headers()) as response:
            answer = await response.text()
        if response.status != 200:
            self.problems.append(f"{what} #{incident_id}: HTTP {response.status} {answer[:200]}")
        return response.status == 200

    def _spawn(self, job: Any) -> None:
        self.tasks.append(asyncio.create_task(job))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


# ---- the citizens ---------------------------------------------------------------


def citizens(count: int, cipher: ContactCipher) -> List[Citizen]:
    """Half over WhatsApp, half over web chat, each with its own emergency."""
    made = []
    for n in range(count):
        text = EMERGENCIES[n % len(EMERGENCIES)]
        if n % 2 == 0:
            address = f"whatsapp:+62812{uuid.uuid4().int % 10**8:08d}"
            made.append(Citizen(WHATSAPP, text, address, cipher.pseudonym(address)))
        else:
            made.append(Citizen(WEB, text))
    return made


async def connect(http: aiohttp.ClientSession, stack: Stack, citizen: Citizen) -> None:
    """A web citizen opens the widget: a session from the backend, then Rasa's socket."""
    async with http.post(f"{stack.backend}/api/v1/widget/sessions") as response:
        response.raise_for_status()
        session = await response.json()
    citizen.key = session["session"]
    client = socketio.AsyncClient(reconnection=False)
    confirmed = asyncio.Event()

    async def on_confirm(*_: Any) -> None:
        confirmed.set()

    async def on_bot(data: Any) -> None:
        if not isinstance(data, dict) or citizen.heard_at:
            return
        if data.get("author") == OPERATOR and data.get("text") == REPLY:
            citizen.heard_at = time.time()
            citizen.stored_at = data.get("timestamp")  # lapor/webchat.py stamps what it stores

    client.on("session_confirm", on_confirm)
    client.on("bot_uttered", on_bot)
    await client.connect(stack.rasa, transports=["websocket"])
    await client.emit("session_request", {"session_id": citizen.key, "token": session["token"]})
    await asyncio.wait_for(confirmed.wait(), 30)
    citizen.client = client


async def send(http: aiohttp.ClientSession, stack: Stack, citizen: Citizen) -> None:
    if citizen.client is not None:
        message = {"message": citizen.text, "session_id": citizen.key, "metadata": {}}
        citizen.sent_at = time.time()
        await citizen.client.emit("user_uttered", message)
        return
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": citizen.address,
        "To": WHATSAPP_FROM,
        "NumMedia": "0",
        "Body": citizen.text,
    }
    # Signed as Twilio signs it: on the public URL the channel is told it has.
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + WHATSAPP_PATH, form)
    citizen.sent_at = time.time()
    async with http.post(
        stack.rasa + WHATSAPP_PATH, data=form, headers={"X-Twilio-Signature": signature}
    ) as response:
        response.raise_for_status()


async def emergency_round(
    http: aiohttp.ClientSession, stack: Stack, group: List[Citizen], timeout: float
) -> None:
    """Every citizen of the group sends at once; waits until each heard the operator."""
    await asyncio.gather(*(connect(http, stack, c) for c in group if c.channel == WEB))
    stack.conversations += [c.key for c in group]
    await asyncio.gather(*(send(http, stack, c) for c in group))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(_heard(stack, c) for c in group):
        await asyncio.sleep(0.05)
    for citizen in group:
        if citizen.client is not None:
            await citizen.client.disconnect()


def _heard(stack: Stack, citizen: Citizen) -> bool:
    if citizen.channel == WHATSAPP:
        citizen.heard_at = stack.twilio.heard.get(citizen.address)
    return citizen.heard_at is not None


# ---- the run ----------------------------------------------------------------------


@dataclass
class Samples:
    alert: Dict[str, List[float]] = field(default_factory=dict)  # channel -> ms
    reply: Dict[str, List[float]] = field(default_factory=dict)
    # Where the time goes: stage -> ms, one sample per incident.
    stages: Dict[str, List[float]] = field(default_factory=dict)
    missing: List[str] = field(default_factory=list)
    rounds: List[Tuple[float, float]] = field(default_factory=list)  # p99 of (a), (b) per round

    def add(self, stage: str, seconds: float) -> None:
        self.stages.setdefault(stage, []).append(seconds * 1000)

    def merge(self, other: "Samples") -> None:
        for mine, theirs in ((self.alert, other.alert), (self.reply, other.reply)):
            for channel, ms in theirs.items():
                mine.setdefault(channel, []).extend(ms)
        for stage, ms in other.stages.items():
            self.stages.setdefault(stage, []).extend(ms)
        self.missing += other.missing
        self.rounds.append((p99(every(other.alert)), p99(every(other.reply))))


def every(by_channel: Dict[str, List[float]]) -> List[float]:
    return [ms for values in by_channel.values() for ms in values]


async def measure(args: argparse.Namespace, stack: Stack) -> Tuple[Samples, List[str]]:
    operators = [
        await sign_in(stack.database_url, f"operator{k + 1}") for k in range(args.consoles)
    ]
    # The streams stay open for the whole run: no total timeout for them.
    streams = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
    desk = Desk(operators, stack.backend, http, args.think)
    try:
        await desk.open_consoles(streams)
        warm_up = citizens(2, stack.cipher)
        await emergency_round(http, stack, warm_up, args.timeout)
        await desk.resolve_all()
        samples = Samples()
        for _ in range(args.rounds):
            group = citizens(args.emergencies, stack.cipher)
            await emergency_round(http, stack, group, args.timeout)
            samples.merge(collect(group, await incident_keys(stack.database_url), desk))
            # Resolved, so each round starts with the board as the first found it.
            await desk.resolve_all()
        for index, count in enumerate(desk.repeated):
            if count:
                desk.problems.append(f"console {index + 1}: {count} alerts came again")
        return samples, desk.problems
    finally:
        await desk.close()
        await http.close()
        await streams.close()


async def sign_in(database_url: str, username: str) -> Operator:
    """An operator on shift with a console session (made directly, not by the login form)."""
    engine = create_engine(database_url)
    try:
        person = await people.create_user(
            engine, username, "x" * 16, ["operator"], display_name=username.title()
        )
        hours = timedelta(hours=2)
        lifetimes = sessions.Lifetimes(hours, hours)
        cookie = await sessions.open_session(engine, person, lifetimes)
        session = await sessions.find(engine, cookie, lifetimes)
        assert session is not None
        await shifts.start(engine, person.id, None)
        return Operator(cookie, session.csrf_token)
    finally:
        await engine.dispose()


async def incident_keys(database_url: str) -> Dict[str, List[Any]]:
    """conversation key -> its incidents, oldest first (one each, if all goes well)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(
                    incidents.c.id,
                    incidents.c.conversation_key,
                    incidents.c.created_at,
                ).order_by(incidents.c.id)
            )
            found: Dict[str, List[Any]] = {}
            for row in rows:
                found.setdefault(row.conversation_key, []).append(row)
            return found
    finally:
        await engine.dispose()


def collect(group: Sequence[Citizen], keys: Dict[str, List[Any]], desk: Desk) -> Samples:
    samples = Samples()
    for citizen in group:
        rows = keys.get(citizen.key, [])
        if not rows:
            samples.missing.append(f"{citizen.channel}: no incident for {citizen.text!r}")
            continue
        row = rows[0]
        if len(rows) > 1:
            more = ", ".join(f"#{r.id}" for r in rows)
            samples.missing.append(f"{citizen.channel}: one emergency, incidents {more}")
        incident = int(row.id)
        stages(samples, citizen, row, desk)
        for index, heard in enumerate(desk.heard):
            if incident in heard:
                ms = (heard[incident] - citizen.sent_at) * 1000
                samples.alert.setdefault(citizen.channel, []).append(ms)
            else:
                samples.missing.append(f"incident #{incident}: no alert on console {index + 1}")
        replied = desk.replied.get(incident)
        if replied is None:
            samples.missing.append(f"incident #{incident}: not replied to (see below)")
            continue
        if citizen.heard_at is None:
            samples.missing.append(f"incident #{incident}: the reply did not reach the citizen")
            continue
        samples.reply.setdefault(citizen.channel, []).append((citizen.heard_at - replied) * 1000)
    return samples


def stages(samples: Samples, citizen: Citizen, row: Any, desk: Desk) -> None:
    """The path split where the system stamps it: the backend files the incident
    (created_at; the incident's received_at is only to the second), the backend
    stores a web chat message in Redis (its timestamp)."""
    filed = row.created_at.timestamp()
    samples.add(f"(a) {citizen.channel}: message -> filed", filed - citizen.sent_at)
    heard = [h[row.id] for h in desk.heard if row.id in h]
    if heard:
        samples.add("(a) filed -> on every console", max(heard) - filed)
    replied = desk.replied.get(row.id)
    if citizen.stored_at and citizen.heard_at and replied:
        samples.add("(b) web: POST -> stored in Redis", citizen.stored_at - replied)
        samples.add("(b) web: stored -> widget", citizen.heard_at - citizen.stored_at)


# ---- the report -------------------------------------------------------------------


def line(name: str, ms: List[float], width: int = 10) -> str:
    if not ms:
        return f"  {name:<{width}} no samples"
    ms = sorted(ms)
    # Inclusive: with few samples the exclusive method extrapolates past the maximum.
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return (
        f"  {name:<{width}} n={len(ms):3d}  p50={q[49]:6.0f}  p95={q[94]:6.0f}  "
        f"p99={q[98]:6.0f}  max={ms[-1]:6.0f} ms"
    )


def p99(ms: List[float]) -> float:
    if len(ms) < 2:
        return ms[0] if ms else float("nan")
    return statistics.quantiles(sorted(ms), n=100, method="inclusive")[98]


def report(args: argparse.Namespace, samples: Samples, problems: List[str]) -> None:
    whatsapp = (args.emergencies + 1) // 2
    print(
        f"emergency hand-off: {args.rounds} rounds of {args.emergencies} concurrent emergencies "
        f"({whatsapp} WhatsApp, {args.emergencies - whatsapp} web chat), "
        f"{args.consoles} operator consoles, reply {args.think:g} s after accepting, "
        f"Rasa on {args.endpoints} endpoints"
    )
    # The machine may be shared: its load says how far the figures are its own.
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} cores")
    parts = [
        ("(a) message -> alert on a console (one sample per console)", samples.alert),
        ("(b) operator reply (HTTP POST) -> citizen's channel", samples.reply),
    ]
    for title, by_channel in parts:
        print(title)
        print(line("all", every(by_channel)))
        for channel in (WHATSAPP, WEB):
            print(line(channel, by_channel.get(channel, [])))
    print("where the time goes (per incident)")
    for stage, ms in sorted(samples.stages.items()):
        print(line(stage, ms, width=36))
    print(f"goal: {GOAL}")
    for name, by_channel in (("(a) alert", samples.alert), ("(b) reply", samples.reply)):
        value = p99(every(by_channel))
        print(f"  {name}: p99 {value:.0f} ms = {value / GOAL_MS:.2f} x goal")
    if len(samples.rounds) > 1:
        each = ", ".join(f"{a:.0f}/{b:.0f}" for a, b in samples.rounds)
        print(f"  p99 (a)/(b) per round, ms: {each}")
    for problem in samples.missing + problems:
        print(f"  ! {problem}")


# ---- the stack ----------------------------------------------------------------------


@contextlib.contextmanager
def stack(model: Path, endpoints: str, logs: Path) -> Iterator[Stack]:
    database_url = _create_postgres_database()
    twilio = TimedTwilio()
    twilio.start()
    # A key of this run's own: the benchmark computes WhatsApp pseudonyms with it.
    key = Fernet.generate_key().decode()
    rasa_port = servers.free_port()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    backend_env = {
        **twilio.env(),
        "CONTACT_KEY": key,
        "REDIS_URL": REDIS,
        "RASA_URL": rasa_url,
        "RASA_TOKEN": RASA_TOKEN,
        # Every web citizen of the run asks for a session from the same address.
        "WIDGET_SESSIONS_PER_HOUR": "100000",
    }
    queue = queue_name("bench_emergency")
    conversations: List[str] = []
    try:
        migrate.upgrade(database_url)
        with contextlib.ExitStack() as running:
            backend = running.enter_context(
                servers.backend(database_url, logs, extra_env=backend_env)
            )
            env = servers.actions_env(backend.url, logs, **twilio.env())
            actions = running.enter_context(servers.action_server(env, logs))
            rasa_env = {
                **twilio.env(),
                "CONTACT_KEY": key,
                "TWILIO_WEBHOOK_BASE_URL": PUBLIC,
                "REDIS_URL": REDIS,
                "BACKEND_URL": backend.url,
                "WIDGET_ALLOWED_ORIGINS": backend.url,
                "RABBITMQ_QUEUE": queue,
            }
            rasa = start_rasa(model, endpoints, actions.url, logs, rasa_port, rasa_env)
            running.callback(rasa.stop)
            cipher = ContactCipher(key.encode())
            yield Stack(backend.url, rasa_url, database_url, twilio, cipher, conversations)
    finally:
        _drop_postgres_database(database_url)
        if endpoints == "production":
            drop_queue(queue)
        forget(conversations)


def forget(conversations: Sequence[str]) -> None:
    """Deletes the run's conversations from Redis: Rasa's trackers (kept for
    months in production), the web chat streams and the WhatsApp state."""
    client = redis.Redis.from_url(REDIS)
    try:
        for key in conversations:
            found = list(client.scan_iter(match=f"lapor:*{key}", count=1000))
            if found:
                client.delete(*found)
    finally:
        client.close()


def start_rasa(
    model: Path, endpoints: str, action_url: str, logs: Path, port: int, extra: Dict[str, str]
) -> servers.Server:
    """Rasa as tests/servers.py starts it, with production's tracker store, lock
    store and event broker (Redis, RabbitMQ) unless `endpoints` is "dev"
    (`make run`'s: in memory, a SQLite file written in Rasa's event loop)."""
    args = [servers.PYTHON, "-m", "bot", "--model", str(model)]
    if endpoints == "production":
        # Passed on to `rasa run`, whose last --endpoints wins.
        args += ["--endpoints", str(servers.REPO_ROOT / "endpoints.production.yml")]
    env = servers.base_env(
        ACTION_ENDPOINT_URL=f"{action_url}/webhook",
        RASA_PORT=str(port),
        RASA_TOKEN=RASA_TOKEN,
        REST_CHANNEL_TOKEN=servers.REST_TOKEN,
        ACTION_SERVER_TOKEN=servers.ACTION_TOKEN,
        RASA_EVENTS_DB=str(logs / "events.sqlite3"),
        REDIS_HOST="127.0.0.1",
        REDIS_PORT="6379",
        **extra,
    )
    return servers.start("rasa", args, port, env, logs, "/", timeout=240)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emergencies", "-n", type=int, default=20, help="concurrent (N)")
    parser.add_argument("--consoles", "-k", type=int, default=3, help="operator consoles (K)")
    parser.add_argument("--rounds", type=int, default=3, help="of N emergencies, pooled")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per round")
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds from accepting to replying"
    )
    parser.add_argument("--model", type=Path, help="default: the model for the current data")
    parser.add_argument(
        "--endpoints",
        choices=["production", "dev"],
        default="production",
        help="Rasa's stores and event broker: production's (Redis, RabbitMQ) or make run's",
    )
    args = parser.parse_args()
    if args.model is None:
        from tests.model import trained_model

        args.model = trained_model()
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    with stack(args.model, args.endpoints, LOGS) as running:
        samples, problems = asyncio.run(measure(args, running))
    report(args, samples, problems)
    print(f"server logs: {LOGS}")


if __name__ == "__main__":
    main()

"""The whole system with a fault-injection proxy on every link that can break.

    citizens --[rasa link]--> Rasa --[actions link]--> action server
                               |                          |
                         [redis link]               [backend link]
                               |                          |
                 Redis (tracker, lock, channel)    backend --[pg link]--> PostgreSQL

Rasa runs with the production endpoints (endpoints.production.yml: Redis
tracker and lock stores), on Redis databases of its own so nothing else on
the machine's shared Redis is touched. Replies to WhatsApp citizens land at
the fake Twilio API; the outbox's notices reach Rasa through the rasa link
too. A "restart" of Rasa stops its process and lets a standby process
(loaded meanwhile) take over behind the rasa link. Used by the fault tests
(tests/faults/) and `make soak` (tests/soak/).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Protocol
from urllib.parse import quote, urlencode

import redis
import yaml
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine, make_url

from backend.tables import tickets
from lapor.db import sync_url
from lapor.paths import REPO_ROOT
from tests import servers
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.fake_twilio import PUBLIC, WHATSAPP_FROM, FakeTwilio, post_webhook
from tests.proxy import Proxy
from tests.rabbit import drop_queue, queue_name

TOKEN = "faults-token"  # Rasa's HTTP API
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Seconds the action server waits for the backend before keeping a report.
BACKEND_TIMEOUT = 3
RASA_START_TIMEOUT = 300
TICKET = re.compile(r"KDR-\d{4}-\d+")

# What the bot says (actions/texts.py), as the tests recognise it.
QUEUED = "sudah kami simpan"
QUEUED_FILED = "yang tadi tertunda sudah masuk"
NOT_RECORDED = "*belum* tercatat"
TROUBLE = "sistem sedang mengalami gangguan"


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """condition()'s first truthy value, polled until the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.3)


class Stack:
    def __init__(
        self,
        model: Path,
        twilio: FakeTwilio,
        logs: Path,
        redis_dbs: tuple[int, int, int],
        standby: bool = True,
    ) -> None:
        self.model, self.twilio, self.logs = model, twilio, logs
        self.redis_dbs = redis_dbs  # tracker store, lock store, WhatsApp channel state
        self.rasa: Optional[servers.Server] = None
        self.standby: Optional[servers.Server] = None
        self._rasa_starts = 0
        self.proxies: List[Proxy] = []
        # What close() undoes, last started first; a failed start undoes itself.
        self._cleanups: List[Callable[[], None]] = []
        try:
            self._start(standby)
        except BaseException:
            self.close()
            raise

    def _start(self, standby: bool) -> None:
        self.events_queue = queue_name("faults_events")
        self._cleanups.append(lambda: drop_queue(self.events_queue))
        self.database_url = _create_postgres_database()
        self._cleanups.append(lambda: _drop_postgres_database(self.database_url))
        self.engine: Engine = create_engine(sync_url(self.database_url), future=True)
        self._cleanups.append(self.engine.dispose)
        pg = make_url(self.database_url)
        self.pg = self._proxy(pg.host or "127.0.0.1", pg.port or 5432)
        self._flush_redis()
        self._cleanups.append(self._flush_redis)
        self.redis = self._proxy(REDIS_HOST, REDIS_PORT)
        self.backend = servers.start_backend(
            str(pg.set(host="127.0.0.1", port=self.pg.port)), self.logs
        )
        self._cleanups.append(lambda: self.backend.stop())
        self.backend_link = self._proxy("127.0.0.1", _port(self.backend))
        # Citizens and the action server reach Rasa through a link too: a
        # restarted Rasa is a new process behind the same address.
        self.rasa_link = self._proxy("127.0.0.1", servers.free_port())
        self.rasa_url = f"http://{self.rasa_link.address}"
        actions_env = servers.actions_env(
            f"http://{self.backend_link.address}",
            self.logs,
            OUTBOX_INTERVAL="1",
            BACKEND_TIMEOUT=str(BACKEND_TIMEOUT),
            RASA_TOKEN=TOKEN,
            RASA_URL=self.rasa_url,
        )
        running = ExitStack()
        self.actions = running.enter_context(servers.action_server(actions_env, self.logs))
        self._cleanups.append(running.close)
        self.actions_link = self._proxy("127.0.0.1", _port(self.actions))
        self._cleanups.append(self._stop_rasa)
        self.rasa = self._spawn_rasa()
        if standby:
            self.standby = self._spawn_rasa()
        servers.wait_until_up(self.rasa, "/", RASA_START_TIMEOUT)
        self.rasa_link.point_at("127.0.0.1", _port(self.rasa))

    def _proxy(self, host: str, port: int) -> Proxy:
        proxy = Proxy(host, port).start()
        self._cleanups.append(proxy.stop)
        self.proxies.append(proxy)
        return proxy

    # -- the Rasa server, which a test may restart ----------------------------

    def restart_rasa(self, respawn: bool = False) -> None:
        """Stops the Rasa process; a fresh one takes over behind the same address.

        The fresh process is the standby, started with the stack (loading a
        model takes minutes on this machine, so it loads while the other
        cases run) and knowing nothing of the conversations: like a
        restarted one, it has only what the tracker store (Redis) kept.
        `respawn` starts the next standby (for another restart later).
        """
        assert self.rasa is not None
        self.rasa.stop()
        self.rasa_link.cut()  # meanwhile citizens find nobody there
        replacement = self.standby or self._spawn_rasa()
        self.standby = None
        servers.wait_until_up(replacement, "/", RASA_START_TIMEOUT)
        self.rasa = replacement
        self.rasa_link.point_at("127.0.0.1", _port(replacement))
        self.rasa_link.restore()
        if respawn:
            self.standby = self._spawn_rasa()

    def _spawn_rasa(self) -> servers.Server:
        """Starts a Rasa process on a port of its own; does not wait for it."""
        self._rasa_starts += 1
        port = servers.free_port()
        endpoints = self.logs / "endpoints.yml"
        endpoints.write_text(yaml.safe_dump(self._endpoints()))
        env = servers.base_env(
            ACTION_ENDPOINT_URL=f"http://{self.actions_link.address}/webhook",
            RASA_PORT=str(port),
            RASA_TOKEN=TOKEN,
            REST_CHANNEL_TOKEN=servers.REST_TOKEN,
            ACTION_SERVER_TOKEN=servers.ACTION_TOKEN,
            REDIS_HOST="127.0.0.1",
            REDIS_PORT=str(self.redis.port),
            REDIS_URL=f"redis://{self.redis.address}/{self.redis_dbs[2]}",
            BACKEND_URL=f"http://{self.backend_link.address}",
            OPEN311_API_KEY="test-api-key",
            TWILIO_WEBHOOK_BASE_URL=PUBLIC,
            **self.twilio.env(),
        )
        # `python -m bot` as operators start it; the later --endpoints wins.
        args = [servers.PYTHON, "-m", "bot", "--model", str(self.model)]
        args += ["--endpoints", str(endpoints)]
        log = self.logs / f"rasa-{self._rasa_starts}.log"
        process = subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        return servers.Server("rasa", f"http://127.0.0.1:{port}", process, log)

    def _stop_rasa(self) -> None:
        for server in (self.rasa, self.standby):
            if server is not None:
                server.stop()

    def _endpoints(self) -> Dict[str, Any]:
        """endpoints.production.yml, on this stack's own Redis databases."""
        endpoints = yaml.safe_load((REPO_ROOT / "endpoints.production.yml").read_text())
        endpoints["tracker_store"]["db"] = self.redis_dbs[0]
        endpoints["lock_store"]["db"] = self.redis_dbs[1]
        # Conversation events go to a queue of this stack's own, deleted at close.
        endpoints["event_broker"]["queues"] = [self.events_queue]
        return dict(endpoints)

    def _flush_redis(self) -> None:
        for db in self.redis_dbs:
            redis.Redis(REDIS_HOST, REDIS_PORT, db=db).flushdb()

    def close(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()

    def restore_all(self) -> None:
        for proxy in self.proxies:
            proxy.restore()
        self.twilio.failures.clear()
        self.twilio.retry_after = None

    # -- what the database and Rasa hold --------------------------------------

    def tickets_of_account(self, account_id: str) -> List[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(tickets).where(tickets.c.account_id == account_id)))

    def tickets_of_phone(self, phone: str) -> List[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(tickets).where(tickets.c.phone == phone)))

    def ticket_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(tickets)).scalar_one())

    def bot_texts(self, sender: str) -> List[str]:
        url = f"{self.rasa_url}/conversations/{quote(sender, safe='')}/tracker?token={TOKEN}"
        with urllib.request.urlopen(url, timeout=30) as response:
            events = json.loads(response.read())["events"]
        return [e.get("text") or "" for e in events if e["event"] == "bot"]


class RestCitizen:
    """A citizen on the REST channel (the chat test page's way in)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sender = f"fault-{uuid.uuid4().hex[:10]}"
        self.heard: List[str] = []  # every reply text, in order

    def say(self, message: str, timeout: float = 60) -> str:
        body = json.dumps({"sender": self.sender, "message": message}).encode()
        request = urllib.request.Request(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json", **servers.REST_HEADERS},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            replies = [r.get("text") or "" for r in json.loads(response.read())]
        self.heard.extend(replies)
        return "\n".join(replies)

    def tickets(self) -> List[Any]:
        return self.stack.tickets_of_account(self.sender)

    def conversation(self) -> List[str]:
        """Everything the bot said, also outside a reply (the outbox's notices)."""
        return self.stack.bot_texts(self.sender)

    def wait_to_hear(self, text: str, timeout: float = 45) -> str:
        """The first thing the bot said in the conversation containing `text`."""

        def said() -> Optional[str]:
            return next((t for t in self.conversation() if text in t), None)

        return str(wait_until(said, timeout, f"{text!r} in {self.sender}'s conversation"))


class Deployment(Protocol):
    """What a WhatsApp citizen needs of a running system (this stack, or the
    two-replica cluster of tests/cluster/)."""

    @property
    def rasa_url(self) -> str: ...

    @property
    def twilio(self) -> FakeTwilio: ...

    def tickets_of_phone(self, phone: str) -> List[Any]: ...


class WhatsAppCitizen:
    """A citizen on WhatsApp: signed webhooks in, replies at the fake Twilio."""

    def __init__(self, stack: Deployment) -> None:
        self.stack = stack
        self.number = f"+62812{uuid.uuid4().int % 10**8:08d}"
        self.sender = f"whatsapp:{self.number}"

    def send(self, body: str = "", **fields: str) -> float:
        """Posts one message as Twilio does; returns how long the webhook took."""
        form = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "From": self.sender,
            "To": WHATSAPP_FROM,
            "NumMedia": "0",
            "Body": body,
            **fields,
        }
        return post_webhook(self.stack.rasa_url, form)

    def heard(self) -> List[str]:
        """The replies Twilio accepted for this citizen (failed sends left out)."""
        return [m.get("Body", "") for m in self.stack.twilio.delivered() if m["To"] == self.sender]

    def wait_for(self, text: str, timeout: float = 60, after: int = 0) -> str:
        """The first reply (from the `after`-th on) containing `text`."""

        def found() -> Optional[str]:
            return next((b for b in self.heard()[after:] if text in b), None)

        return str(wait_until(found, timeout, f"{text!r} for {self.sender}; got {self.heard()}"))

    def tickets(self) -> List[Any]:
        return self.stack.tickets_of_phone(self.number)


def _port(server: servers.Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def told_numbers(texts: List[str]) -> List[str]:
    return [number for text in texts for number in TICKET.findall(text)]


def assert_told_the_truth(heard: List[str], filed: List[Any]) -> None:
    """Every ticket number the citizen was given exists and is theirs, and a
    citizen with a ticket was given its number; "kept" was followed by the end."""
    numbers = {t.service_request_id for t in filed}
    assert set(told_numbers(heard)) <= numbers, (heard, numbers)
    assert numbers <= set(told_numbers(heard)), (heard, numbers)
    if any(QUEUED in text for text in heard):
        kept_at = max(i for i, text in enumerate(heard) if QUEUED in text)
        later = heard[kept_at + 1 :]
        assert any(QUEUED_FILED in t or NOT_RECORDED in t for t in later), heard


def http_json(
    method: str, url: str, form: Optional[Dict[str, str]] = None, **headers: str
) -> tuple[int, Any]:
    """(status, body) of one call; connection failures are status 0."""
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body or b"null")
        except ValueError:
            return exc.code, body.decode(errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, None

"""A cluster as `make run-cluster` starts it (scripts/cluster.py), on ports,
PostgreSQL databases, Redis databases and a RabbitMQ queue of its own, with
the fake Twilio: for `make test-cluster` (tests/cluster/) and `make bench-cluster`."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set
from urllib.parse import quote

import redis
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from backend.tables import conversation_events, conversations, incidents, tickets
from lapor.contact import ContactCipher
from lapor.db import sync_url
from lapor.paths import REPO_ROOT
from lapor.settings import DEVELOPMENT_CONTACT_KEY
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.fake_twilio import PUBLIC, FakeTwilio
from tests.model import trained_model
from tests.rabbit import drop_queue, queue_name
from tests.servers import PYTHON, REST_TOKEN, base_env

# Channel state, tracker store, lock store: none of the fault tests (12-14),
# the soak (7-9) or make run-cluster (2-4) use them.
REDIS_DBS = (10, 11, 15)
RASA_TOKEN = "dev-rasa-token"
EXTERNAL = "EXTERNAL: "  # how Rasa writes an intent triggered through its API
CIPHER = ContactCipher(DEVELOPMENT_CONTACT_KEY.encode())


@dataclass
class Cluster:
    folder: Path
    env: Dict[str, str]
    database_url: str
    twilio: FakeTwilio
    engine: Engine

    @property
    def processes(self) -> Dict[str, Dict[str, Any]]:
        state = json.loads((self.folder / "state.json").read_text())
        return {p["name"]: p for p in state["processes"]}

    def front(self, name: str) -> str:
        """HAProxy's address for `backend`, `rasa` or `actions`."""
        return f"http://127.0.0.1:{self.env[f'CLUSTER_{name.upper()}_PORT']}"

    @property
    def rasa_url(self) -> str:  # what tests.faults.stack's citizens post to
        return self.front("rasa")

    def replica(self, name: str) -> str:
        """The URL of one replica itself ('rasa-1'), bypassing HAProxy."""
        return str(self.processes[name]["url"]).rsplit("/", 1)[0].rstrip("/")

    def kill(self, name: str) -> None:
        """SIGKILL, as a crashed machine: no shutdown handler runs."""
        os.killpg(int(self.processes[name]["pid"]), signal.SIGKILL)

    def tickets_of_phone(self, phone: str) -> List[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(tickets).where(tickets.c.phone == phone)))

    def incidents_of(self, phone: str) -> List[Any]:
        key = CIPHER.pseudonym(f"whatsapp:{phone}")
        with self.engine.connect() as conn:
            query = select(incidents).where(incidents.c.conversation_key == key)
            return list(conn.execute(query))

    def stored_user_messages(self, phone: str) -> List[str]:
        """The citizen's messages as the pipeline stored them, in order (not the
        intents the action server triggered: a report the outbox filed later)."""
        key = CIPHER.pseudonym(f"whatsapp:{phone}")
        query = (
            select(conversation_events.c.text)
            .join(conversations, conversations.c.id == conversation_events.c.conversation_id)
            .where(conversations.c.sender_key == key, conversation_events.c.kind == "user")
            .order_by(conversation_events.c.at, conversation_events.c.id)
        )
        with self.engine.connect() as conn:
            return typed([str(row.text) for row in conn.execute(query)])

    def tracker_user_messages(self, phone: str) -> List[str]:
        """The citizen's messages in Rasa's tracker (read through HAProxy)."""
        # Rasa does not decode its path parameter: the colon goes as it is.
        key = quote(CIPHER.pseudonym(f"whatsapp:{phone}"), safe=":")
        url = f"{self.rasa_url}/conversations/{key}/tracker?token={RASA_TOKEN}"
        with urllib.request.urlopen(url, timeout=30) as response:
            events = json.loads(response.read())["events"]
        return typed([e.get("text") or "" for e in events if e["event"] == "user"])

    def ticket_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(tickets)).scalar_one())


def typed(texts: List[str]) -> List[str]:
    """What the citizen sent, without the intents the action server triggered."""
    return [text for text in texts if not text.startswith(EXTERNAL)]


def _fronts() -> Dict[str, str]:
    """Front ports whose replica ports (front + 1, front + 2) are free too.

    Chosen below the kernel's ephemeral range: a port from that range can be
    taken as the local end of a replica's own connection to PostgreSQL, Redis
    or RabbitMQ in the seconds before the replica meant to listen on it binds.
    """
    low = _ephemeral_low()
    taken: Set[int] = set()
    chosen: Dict[str, str] = {}
    for name in ("BACKEND", "RASA", "ACTIONS", "STATS"):
        while True:
            port = random.randrange(low // 2, low - 3)
            ports = {port, port + 1, port + 2}
            if not ports & taken and all(_free(p) for p in ports):
                taken |= ports
                chosen[f"CLUSTER_{name}_PORT"] = str(port)
                break
    return chosen


def _ephemeral_low() -> int:
    """The first port Linux hands out to outgoing connections (32768 by default)."""
    with contextlib.suppress(OSError, ValueError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 32768


def _free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _cluster(command: str, env: Dict[str, str], timeout: float) -> None:
    subprocess.run(
        [PYTHON, "scripts/cluster.py", command], cwd=REPO_ROOT, env=env, check=True, timeout=timeout
    )


def _flush_redis() -> None:
    for db in REDIS_DBS:
        redis.Redis("127.0.0.1", 6379, db=db).flushdb()


@contextlib.contextmanager
def running_cluster(
    folder: Path, twilio: FakeTwilio, replicas: int = 2, **extra: str
) -> Iterator[Cluster]:
    """Starts the cluster (`make run-cluster`'s script) and stops it, leaving nothing behind."""
    database_url = _create_postgres_database()
    outbox_url = _create_postgres_database()
    queue = queue_name("cluster_events")
    _flush_redis()
    env = base_env(
        **twilio.env(),
        **_fronts(),
        CLUSTER_DIR=str(folder),
        CLUSTER_REPLICAS=str(replicas),
        CLUSTER_DATABASE_URL=database_url,
        CLUSTER_OUTBOX_DATABASE_URL=outbox_url,
        CLUSTER_REDIS_DBS=",".join(str(db) for db in REDIS_DBS),
        CLUSTER_RABBITMQ_QUEUE=queue,
        CLUSTER_RABBITMQ_EXCHANGE=queue,  # nobody else's events, and ours to nobody
        CLUSTER_MODEL=str(trained_model()),
        CLUSTER_TRAINER="0",
        TWILIO_WEBHOOK_BASE_URL=PUBLIC,
        REST_CHANNEL_TOKEN=REST_TOKEN,
        NLU_DATA_REPO=str(REPO_ROOT),  # read only: nothing here edits the training data
        **extra,
    )
    engine = create_engine(sync_url(database_url), future=True)
    try:
        _cluster("start", env, timeout=600)
        yield Cluster(folder, env, database_url, twilio, engine)
    finally:
        try:
            _cluster("stop", env, timeout=120)
        finally:
            engine.dispose()
            _flush_redis()
            drop_queue(queue, exchange=queue)
            _drop_postgres_database(database_url)
            _drop_postgres_database(outbox_url)

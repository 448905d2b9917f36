"""The production topology on one machine: `make run-cluster`, `make stop-cluster`.

Two replicas each of the Rasa server, the action server, the backend and the
pipeline consumer, behind HAProxy, on the machine's PostgreSQL, Redis and
RabbitMQ, as they would run in a data centre (docs/cluster.md):

    citizens, Twilio, the widget -> HAProxy :5005 -> rasa-1, rasa-2
    rasa-*                       -> HAProxy :5055 -> actions-1, actions-2
    actions-*, the console       -> HAProxy :8000 -> backend-1, backend-2
    rasa-* -> RabbitMQ (pika broker) -> consumer-1, consumer-2 -> PostgreSQL

Every process talks to the others only through HAProxy, so killing a replica
shows what a crashed machine would: HAProxy's health checks take it out of
rotation within two seconds and retry a request it could not deliver on the
other. Rasa runs endpoints.production.yml (Redis tracker and lock stores,
pika); the WhatsApp channel state, socket.io's manager and the web-chat
streams are in Redis; the console's live events in PostgreSQL.

    python scripts/cluster.py start    # detached; returns once every replica answers
    python scripts/cluster.py status
    python scripts/cluster.py stop

Settings come from the environment (CLUSTER_*; the tests run a second
cluster on other ports, databases and queues). What was started is written to
CLUSTER_DIR/state.json, which `stop` and the tests read.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
# Rasa loads its model in about half a minute; two at once on two cores take longer.
START_TIMEOUT = float(os.environ.get("CLUSTER_START_TIMEOUT", "300"))


@dataclass
class Config:
    """Where the cluster listens and what it uses; the defaults are `make run-cluster`'s."""

    folder: Path = Path(os.environ.get("CLUSTER_DIR", ROOT / "var" / "cluster"))
    backend_port: int = int(os.environ.get("CLUSTER_BACKEND_PORT", "8000"))
    rasa_port: int = int(os.environ.get("CLUSTER_RASA_PORT", "5005"))
    actions_port: int = int(os.environ.get("CLUSTER_ACTIONS_PORT", "5055"))
    stats_port: int = int(os.environ.get("CLUSTER_STATS_PORT", "8404"))
    replicas: int = int(os.environ.get("CLUSTER_REPLICAS", "2"))
    database_url: str = os.environ.get(
        "CLUSTER_DATABASE_URL", "postgresql://127.0.0.1:5432/lapor_cluster"
    )
    # The action servers' outbox of reports and incidents kept while the
    # backend is unreachable: shared, so a replica's dead peer loses nothing.
    outbox_database_url: str = os.environ.get(
        "CLUSTER_OUTBOX_DATABASE_URL", "postgresql://127.0.0.1:5432/lapor_cluster_outbox"
    )
    redis_host: str = os.environ.get("CLUSTER_REDIS_HOST", "127.0.0.1")
    redis_port: int = int(os.environ.get("CLUSTER_REDIS_PORT", "6379"))
    # Channel state, socket.io and web chat; Rasa's tracker store; its lock store.
    redis_dbs: List[int] = field(
        default_factory=lambda: [
            int(db) for db in os.environ.get("CLUSTER_REDIS_DBS", "2,3,4").split(",")
        ]
    )
    rabbitmq_queue: str = os.environ.get("CLUSTER_RABBITMQ_QUEUE", "lapor_cluster_events")
    # An exchange of its own: Rasa's default is shared by every Rasa on the
    # RabbitMQ, and each queue bound to it would get the others' events.
    rabbitmq_exchange: str = os.environ.get("CLUSTER_RABBITMQ_EXCHANGE", "lapor_cluster")
    model: str = os.environ.get("CLUSTER_MODEL", "")
    # The editors' trainer worker (one: trainings are claimed one at a time).
    trainer: bool = os.environ.get("CLUSTER_TRAINER", "1") == "1"

    def replica_port(self, front: int, index: int) -> int:
        """Replica `index` (1, 2, ...) of the process HAProxy serves on `front`."""
        return front + index


@dataclass
class Process:
    name: str
    pid: int
    log: str
    url: str = ""  # for the servers: where the replica itself answers


@dataclass
class State:
    config: Dict[str, str]
    processes: List[Process]

    def save(self, path: Path) -> None:
        data = {"config": self.config, "processes": [asdict(p) for p in self.processes]}
        path.write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, path: Path) -> "State":
        data = json.loads(path.read_text())
        return cls(data["config"], [Process(**p) for p in data["processes"]])


# -- configuration files ------------------------------------------------------


def haproxy_config(config: Config) -> str:
    """deploy/haproxy/haproxy.cfg with this cluster's ports and replicas."""
    template = HAPROXY_TEMPLATE.read_text()

    def servers(name: str, front: int) -> str:
        return "\n".join(
            f"    server {name}-{i} 127.0.0.1:{config.replica_port(front, i)} check"
            for i in range(1, config.replicas + 1)
        )

    return (
        template.replace("@BACKEND_PORT@", str(config.backend_port))
        .replace("@RASA_PORT@", str(config.rasa_port))
        .replace("@ACTIONS_PORT@", str(config.actions_port))
        .replace("@STATS_PORT@", str(config.stats_port))
        .replace("@BACKEND_SERVERS@", servers("backend", config.backend_port))
        .replace("@RASA_SERVERS@", servers("rasa", config.rasa_port))
        .replace("@ACTIONS_SERVERS@", servers("actions", config.actions_port))
    )


def rasa_endpoints(config: Config) -> Dict[str, object]:
    """endpoints.production.yml on this cluster's Redis databases and queue."""
    endpoints = yaml.safe_load((ROOT / "endpoints.production.yml").read_text())
    endpoints["tracker_store"]["db"] = config.redis_dbs[1]
    endpoints["lock_store"]["db"] = config.redis_dbs[2]
    endpoints["event_broker"]["queues"] = [config.rabbitmq_queue]
    endpoints["event_broker"]["exchange_name"] = config.rabbitmq_exchange
    return dict(endpoints)


def environment(config: Config) -> Dict[str, str]:
    """What every process of the cluster runs with (development secrets)."""
    env = dict(os.environ)
    front = "http://127.0.0.1"
    env.update(
        PYTHONPATH=str(ROOT),
        TF_CPP_MIN_LOG_LEVEL="3",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        DATABASE_URL=config.database_url,
        OUTBOX_DATABASE_URL=config.outbox_database_url,
        REDIS_URL=f"redis://{config.redis_host}:{config.redis_port}/{config.redis_dbs[0]}",
        REDIS_HOST=config.redis_host,
        REDIS_PORT=str(config.redis_port),
        RABBITMQ_QUEUE=config.rabbitmq_queue,
        RABBITMQ_EXCHANGE=config.rabbitmq_exchange,
        PIPELINE_SOURCE="pika",
        # Every process reaches the others through HAProxy, never a replica.
        BACKEND_URL=f"{front}:{config.backend_port}",
        RASA_URL=f"{front}:{config.rasa_port}",
        ACTION_ENDPOINT_URL=f"{front}:{config.actions_port}/webhook",
        BACKEND_PUBLIC_URL=env.get("BACKEND_PUBLIC_URL", f"http://localhost:{config.backend_port}"),
        RASA_PUBLIC_URL=env.get("RASA_PUBLIC_URL", f"http://localhost:{config.rasa_port}"),
        WIDGET_ALLOWED_ORIGINS=env.get(
            "WIDGET_ALLOWED_ORIGINS",
            f"http://localhost:{config.backend_port},http://127.0.0.1:{config.backend_port}",
        ),
        # HAProxy adds X-Forwarded-For: the backend's limits see the client.
        BACKEND_PROXIES_COUNT="1",
    )
    return env


# -- starting and stopping ------------------------------------------------------


def spawn(name: str, args: List[str], env: Dict[str, str], logs: Path, url: str = "") -> Process:
    """A detached process (its own session: Ctrl-C in the terminal does not reach it)."""
    log = logs / f"{name}.log"
    with log.open("a") as out:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, process.pid, str(log), url)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except Exception:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A child of ours that exited stays a zombie until reaped: not alive.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[-1][0] != "Z"


def wait_for(processes: List[Process], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    waiting = [p for p in processes if p.url]
    while waiting:
        for process in list(waiting):
            if answers(process.url):
                print(f"  {process.name} answers at {process.url}")
                waiting.remove(process)
            elif not alive(process.pid):
                raise SystemExit(f"{process.name} exited; {process.log} ends:\n{tail(process.log)}")
        if time.monotonic() > deadline:
            names = ", ".join(p.name for p in waiting)
            raise SystemExit(f"not answering after {timeout:.0f}s: {names}")
        time.sleep(0.5)


def tail(log: str, lines: int = 30) -> str:
    """The end of a log, so that a failed start says why where it is read (CI, a terminal)."""
    with contextlib.suppress(OSError):
        return "\n".join(Path(log).read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def ensure_database(url: str) -> None:
    """The cluster's PostgreSQL database, created on first start."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def start(config: Config) -> State:
    state_file = config.folder / "state.json"
    if state_file.exists() and any(alive(p.pid) for p in State.load(state_file).processes):
        raise SystemExit(f"a cluster is already running ({state_file}); stop it first")
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        raise SystemExit("haproxy is not installed (make run-cluster installs Debian's package)")
    ports = [config.backend_port, config.rasa_port, config.actions_port, config.stats_port]
    ports += [
        config.replica_port(front, i) for front in ports[:3] for i in range(1, config.replicas + 1)
    ]
    taken = [port for port in ports if not free(port)]
    if taken:
        raise SystemExit(f"ports in use: {taken} (is `make run` running? set CLUSTER_*_PORT)")
    model = (
        config.model
        or subprocess.check_output(["scripts/model-name.sh"], cwd=ROOT, text=True).strip()
    )
    logs = config.folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (config.folder / "haproxy.cfg").write_text(haproxy_config(config))
    endpoints = config.folder / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(rasa_endpoints(config)))
    env = environment(config)
    if "NLU_DATA_REPO" not in env:
        # The editors' saves go to a working copy of their own (as scripts/run.sh).
        env["NLU_DATA_REPO"] = str(ROOT / "var" / "nlu-data")
        if not (ROOT / "var" / "nlu-data" / ".git").is_dir():
            subprocess.run(["git", "clone", "--quiet", str(ROOT), env["NLU_DATA_REPO"]], check=True)
    ensure_database(config.database_url)
    ensure_database(config.outbox_database_url)
    for step in (["migrate"], ["dev-keys"], ["dev-users"]):
        subprocess.run([PYTHON, "-m", "backend", *step], cwd=ROOT, env=env, check=True)

    processes: List[Process] = []
    state = State({k: str(v) for k, v in asdict(config).items()}, processes)
    for i in range(1, config.replicas + 1):
        rasa = config.replica_port(config.rasa_port, i)
        args = [PYTHON, "-m", "bot", "--model", str(ROOT / model), "--endpoints", str(endpoints)]
        processes.append(
            spawn(f"rasa-{i}", args, {**env, "RASA_PORT": str(rasa)}, logs, _url(rasa, "/"))
        )
    for i in range(1, config.replicas + 1):
        port = config.replica_port(config.actions_port, i)
        args = [PYTHON, "-m", "actions", "--port", str(port)]
        processes.append(spawn(f"actions-{i}", args, env, logs, _url(port, "/health")))
        port = config.replica_port(config.backend_port, i)
        args = [PYTHON, "-m", "backend", "serve"]
        backend_env = {**env, "BACKEND_PORT": str(port), "BACKEND_HOST": "127.0.0.1"}
        processes.append(spawn(f"backend-{i}", args, backend_env, logs, _url(port, "/health")))
        args = [PYTHON, "-m", "backend", "consume", "--source", "pika"]
        processes.append(spawn(f"consumer-{i}", args, env, logs))
    state.save(state_file)  # saved at once: `stop` finds everything even if a start fails
    wait_for(processes, START_TIMEOUT)
    # HAProxy last, in front of replicas that answer (else it starts by
    # reporting each of them down).
    args = [haproxy, "-db", "-f", str(config.folder / "haproxy.cfg")]
    processes.append(spawn("haproxy", args, env, logs, _url(config.stats_port, "/stats")))
    state.save(state_file)
    wait_for(processes[-1:], 30)
    if config.trainer:
        # Started once Rasa answers: its own TensorFlow start-up would compete.
        processes.append(spawn("trainer", [PYTHON, "-m", "bot", "nlu", "train"], env, logs))
        state.save(state_file)
    return state


def _url(port: int, path: str) -> str:
    return f"http://127.0.0.1:{port}{path}"


def stop(folder: Path, grace: float = 20) -> None:
    state_file = folder / "state.json"
    if not state_file.exists():
        print("no cluster is running")
        return
    processes = State.load(state_file).processes
    for process in processes:
        _signal(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(p.pid) for p in processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    for process in processes:
        if alive(process.pid):
            print(f"{process.name} did not stop in {grace:.0f}s; killed")
            _signal(process.pid, signal.SIGKILL)
    state_file.unlink()
    print("cluster stopped")


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, sig)  # the process and anything it started


def status(folder: Path) -> int:
    state_file = folder / "state.json"
    if not state_file.exists():
        print("no cluster is running")
        return 1
    down = 0
    for process in State.load(state_file).processes:
        up = alive(process.pid) and (not process.url or answers(process.url))
        down += not up
        print(f"  {process.name:12} pid {process.pid:<8} {'up' if up else 'DOWN'}  {process.url}")
    return 1 if down else 0


def main(argv: Optional[List[str]] = None) -> int:
    command = (argv or sys.argv[1:] or ["status"])[0]
    config = Config()
    if command == "start":
        start(config)
        print(BANNER.format(c=config))
        return 0
    if command == "stop":
        stop(config.folder)
        return 0
    if command == "status":
        return status(config.folder)
    print(f"usage: {sys.argv[0]} start|stop|status", file=sys.stderr)
    return 2


BANNER = """
  ----------------------------------------------------------------------------
  Lapor Mbak Wali 112, two replicas of every process behind HAProxy:
    city page + console http://localhost:{c.backend_port}/  (users as for make run)
    Rasa (webhooks)     http://localhost:{c.rasa_port}/
    action server       http://localhost:{c.actions_port}/health
    HAProxy statistics  http://localhost:{c.stats_port}/stats
    logs                {c.folder}/logs/
  make stop-cluster stops it.
  ----------------------------------------------------------------------------
"""

if __name__ == "__main__":
    sys.exit(main())

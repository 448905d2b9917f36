"""Start the project's real servers as subprocesses for tests and benchmarks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from lapor.paths import REPO_ROOT

PYTHON = str(REPO_ROOT / ".venv" / "bin" / "python")
# The tokens test servers are started with: the REST channel's (sent by every
# REST client as REST_HEADERS) and the one Rasa sends the action server.
REST_TOKEN = "test-rest-token"
REST_HEADERS = {"Authorization": f"Bearer {REST_TOKEN}"}
ACTION_TOKEN = "test-action-token"
# Every server log of the test run, scanned at its end for unmasked phone
# numbers and NIKs (tests/conftest.py).
SERVER_LOGS: List[Path] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        TF_CPP_MIN_LOG_LEVEL="3",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
    )
    env.update(extra)
    return env


def run_module(module: str, *args: str, **env: str) -> str:
    """Runs `python -m module args...` as an operator would; returns its output."""
    result = run_process(module, *args, **env)
    result.check_returncode()
    return result.stdout


def run_process(
    module: str, *args: str, stdin: Optional[str] = None, **env: str
) -> "subprocess.CompletedProcess[str]":
    """Runs `python -m module args...` (given `stdin`), whatever its exit status."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=base_env(**env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log: Path
    database_url: str = ""  # a backend's, for tests that look at what it stored

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_until_up(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(
        f"{server.name} did not start in {timeout}s:\n{server.log.read_text()[-3000:]}"
    )


def start(
    name: str,
    args: List[str],
    port: int,
    env: Dict[str, str],
    log_dir: Path,
    ready_path: str,
    timeout: float = 60,
) -> Server:
    log = log_dir / f"{name}.log"
    SERVER_LOGS.append(log)
    # Appended: a server restarted into the same folder keeps its earlier lines.
    handle = log.open("a")
    process = subprocess.Popen(
        args, cwd=REPO_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
    )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    wait_until_up(server, ready_path, timeout)
    return server


def start_backend(
    database_url: str,
    log_dir: Path,
    api_key: str = "test-api-key",
    extra_env: Optional[Dict[str, str]] = None,
    port: Optional[int] = None,
) -> Server:
    from backend import migrate

    migrate.upgrade(database_url)
    port = port or free_port()
    env = base_env(
        DATABASE_URL=database_url,
        OPEN311_API_KEY=api_key,
        BACKEND_PORT=str(port),
        BACKEND_HOST="127.0.0.1",
        **{
            # Photo links then start with the URL the other servers are given
            # (BACKEND_URL), the only one they accept (lapor/mediaurls.py).
            "BACKEND_PUBLIC_URL": f"http://127.0.0.1:{port}",
            **(extra_env or {}),
        },
    )
    server = start("backend", [PYTHON, "-m", "backend", "serve"], port, env, log_dir, "/health")
    server.database_url = database_url
    return server


@contextmanager
def backend(
    database_url: str,
    log_dir: Path,
    api_key: str = "test-api-key",
    extra_env: Optional[Dict[str, str]] = None,
) -> Iterator[Server]:
    server = start_backend(database_url, log_dir, api_key, extra_env)
    try:
        yield server
    finally:
        server.stop()


def rasa_events_consumer(database_url: str, log_dir: Path, rasa_port: int) -> subprocess.Popen:
    """The consumer reading the sql broker file `rasa_server` gives the Rasa on `rasa_port`."""
    return start_consumer(
        database_url,
        log_dir / "consumer.log",
        RASA_EVENTS_DATABASE_URL=f"sqlite:///{log_dir / f'events-{rasa_port}.sqlite3'}",
        PIPELINE_POLL_INTERVAL="0.1",
    )


def start_consumer(database_url: str, log: Path, **env: str) -> subprocess.Popen:
    """The conversation pipeline's consumer (`python -m backend consume`), logging to `log`."""
    SERVER_LOGS.append(log)
    return subprocess.Popen(
        [PYTHON, "-m", "backend", "consume"],
        cwd=REPO_ROOT,
        env=base_env(DATABASE_URL=database_url, **env),
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


def actions_env(backend_url: str, log_dir: Path, **extra: str) -> Dict[str, str]:
    """What the action server needs to reach a test backend, with its own outbox."""
    return {
        "BACKEND_URL": backend_url,
        "OPEN311_API_KEY": "test-api-key",
        "OUTBOX_DATABASE_URL": f"sqlite:///{log_dir / 'outbox.sqlite3'}",
        "ACTION_SERVER_TOKEN": ACTION_TOKEN,
        **extra,
    }


@contextmanager
def action_server(env: Dict[str, str], log_dir: Path) -> Iterator[Server]:
    port = free_port()
    server = start(
        "actions",
        [PYTHON, "-m", "actions", "--port", str(port)],
        port,
        base_env(**env),
        log_dir,
        "/health",
        timeout=90,
    )
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def rasa_server(
    model: Path,
    action_url: str,
    log_dir: Path,
    token: str = "test-token",
    extra_env: Optional[Dict[str, str]] = None,
    port: Optional[int] = None,
) -> Iterator[Server]:
    port = port or free_port()
    # Started as operators start it: the bot's entry point wraps `rasa run`.
    args = [PYTHON, "-m", "bot", "--model", str(model)]
    env = base_env(
        ACTION_ENDPOINT_URL=f"{action_url}/webhook",
        RASA_PORT=str(port),
        **{
            "RASA_TOKEN": token,
            "REST_CHANNEL_TOKEN": REST_TOKEN,
            "ACTION_SERVER_TOKEN": ACTION_TOKEN,
            # The sql event broker's file (endpoints.yml): the server's own, not var/'s.
            "RASA_EVENTS_DB": str(log_dir / f"events-{port}.sqlite3"),
            **(extra_env or {}),
        },
    )
    server = start("rasa", args, port, env, log_dir, "/", timeout=240)
    try:
        yield server
    finally:
        server.stop()


def rest_say(rasa_url: str, sender: str, message: str) -> List[Dict[str, Any]]:
    """A message over the REST channel, as a server-side client sends it; the bot's answers."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json", **REST_HEADERS},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return list(json.loads(response.read()))


@dataclass(frozen=True)
class ChatStack:
    backend: Server
    rasa: Server


@contextmanager
def chat_stack(
    model: Path,
    database_url: str,
    log_dir: Path,
    twilio_env: Dict[str, str],
    webhook_base: str,
    backend_env: Optional[Dict[str, str]] = None,
    rasa_port: Optional[int] = None,
    token: str = "test-token",
    redis_url: str = "redis://127.0.0.1:6379/0",
) -> Iterator[ChatStack]:
    """The backend (which reaches citizens through the fake Twilio and records what
    it sends in their Rasa conversation), the action server, and the Rasa server
    with the WhatsApp and widget channels: the citizen's side end to end."""
    rasa_port = rasa_port or free_port()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    wired = {"RASA_URL": rasa_url, "RASA_TOKEN": token, "REDIS_URL": redis_url}
    backend_env = {**twilio_env, **wired, **(backend_env or {})}
    with backend(database_url, log_dir, extra_env=backend_env) as api:
        env = actions_env(api.url, log_dir, **twilio_env)
        rasa_env = {
            **env,
            "REDIS_URL": redis_url,
            "BACKEND_URL": api.url,
            "WIDGET_ALLOWED_ORIGINS": api.url,
            "TWILIO_WEBHOOK_BASE_URL": webhook_base,  # the URL Twilio signs
        }
        with (
            action_server(env, log_dir) as actions,
            rasa_server(model, actions.url, log_dir, token, rasa_env, rasa_port) as rasa,
        ):
            yield ChatStack(api, rasa)

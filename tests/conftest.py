"""Shared fixtures: real databases (SQLite file and PostgreSQL), the backend app."""

from __future__ import annotations

import inspect
import json
import logging
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Dict, Iterable, Iterator, List

import psycopg2
import pytest
from sanic import Sanic
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend import migrate
from backend.settings import BackendSettings
from lapor import http
from lapor.db import sync_url
from lapor.privacy import carries_numbers
from tests import servers
from tests.fake_twilio import FakeTwilio
from tests.servers import Server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# CI and developers' machines serve PostgreSQL here (trust auth). If it is not
# reachable the PostgreSQL tests fail: they never skip.
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)

Sanic.test_mode = True
CHROMIUM = "/usr/bin/chromium"


def _create_postgres_database() -> str:
    name = f"lapor_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(POSTGRES_ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return str(make_url(POSTGRES_ADMIN_URL).set(database=name))


def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = psycopg2.connect(POSTGRES_ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'backend.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    url = _create_postgres_database()
    migrate.upgrade(url)
    yield url
    _drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every backend test runs on both databases, each starting empty."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    _truncate(url)
    yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it (not even a schema), on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'empty.sqlite3'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


def _truncate(url: str) -> None:
    engine = create_sync_engine(sync_url(url), future=True)
    with engine.begin() as conn:
        for table in (
            "nlu_inbox_decisions",
            "nlu_deployments",
            "voice_calls",
            "voice_steps",
            "voice_callers",
            "nlu_models",
            "nlu_trainings",
            "notifications",
            "ticket_events",
            "media",
            "tickets",
            "department_keys",
            "rate_counters",
            "staff_alerts",
            "canned_replies",
            "incident_sends",
            "incident_events",
            "incidents",
            "operator_shifts",
            "user_roles",
            "users",
            "audit_log",
            "console_sessions",
            "live_events",
            "conversation_events",
            "conversations",
            "pipeline_cursors",
            "message_days",
        ):
            conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


def clone_repo(target: Path) -> Path:
    """A git working copy of the project as committed (never the checkout itself)."""
    subprocess.run(
        ["git", "clone", "--quiet", "--shared", str(servers.REPO_ROOT), str(target)],
        check=True,
    )
    return target


@pytest.fixture(scope="session")
def shared_nlu_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The training data's working copy for tests that only read it."""
    return clone_repo(tmp_path_factory.mktemp("nlu-repo") / "repo")


@pytest.fixture
def nlu_repo(tmp_path: Path) -> Path:
    """A working copy of its own, for a test whose editors save changes."""
    return clone_repo(tmp_path / "nlu-repo")


@pytest.fixture
def settings(database_url: str, shared_nlu_repo: Path) -> BackendSettings:
    return BackendSettings.load(
        database_url=database_url,
        open311_api_key="test-api-key",
        nlu_data_repo=shared_nlu_repo,
    )


@pytest.fixture
def app(settings: BackendSettings) -> Sanic:
    from backend.app import create_app

    return create_app(settings, name=f"backend-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def voice_settings(database_url: str, shared_nlu_repo: Path, fake: FakeTwilio) -> BackendSettings:
    """A backend whose 112 number is configured as Twilio would call it (tests/voice_line.py)."""
    from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC, VOICE_FROM, WHATSAPP_FROM

    return BackendSettings.load(
        database_url=database_url,
        open311_api_key="test-api-key",
        nlu_data_repo=shared_nlu_repo,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=WHATSAPP_FROM,
        twilio_voice_from=VOICE_FROM,
        twilio_api_base=fake.url,
        twilio_webhook_base_url=PUBLIC,
        twilio_templates={"ghost_call": "HX" + "0" * 28 + "ghost"},
    )


@pytest.fixture
def voice_app(voice_settings: BackendSettings) -> Sanic:
    from backend.app import create_app

    return create_app(voice_settings, name=f"voice-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def model() -> Path:
    from tests.model import trained_model

    return trained_model()


@dataclass(frozen=True)
class GatedModel:
    """The session's model, evaluated and put through the deploy gate as an editor's would be."""

    path: Path
    figures: Dict[str, Any]
    returncode: int
    output: str


@pytest.fixture(scope="session")
def gated_model(model: Path, tmp_path_factory: pytest.TempPathFactory) -> GatedModel:
    out = tmp_path_factory.mktemp("gate") / "figures.json"
    done = subprocess.run(
        [servers.PYTHON, "-m", "bot", "nlu", "evaluate", str(model), "--gate", "--json", str(out)],
        cwd=servers.REPO_ROOT,
        env=servers.base_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    figures = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return GatedModel(model, figures, done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="session")
def live_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The backend as a real server on PostgreSQL, for code that calls it over HTTP."""
    from tests import servers

    url = _create_postgres_database()
    try:
        with servers.backend(url, tmp_path_factory.mktemp("backend-logs")) as server:
            yield server
    finally:
        _drop_postgres_database(url)


@pytest.fixture
async def _shared_http_session_closed() -> AsyncIterator[None]:
    """Each async test runs in a loop of its own: its shared HTTP session ends with it."""
    yield
    await http.close()


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    # Only async tests get it: an async fixture would start an event loop
    # around sync tests too, and Playwright's sync API refuses to run in one.
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and inspect.iscoroutinefunction(function):
            item.fixturenames.append("_shared_http_session_closed")  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    """Debian's headless Chromium (`make browser` installs it), one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def twilio() -> Iterator[FakeTwilio]:
    yield FakeTwilio().start()


@pytest.fixture
def fake(twilio: FakeTwilio) -> FakeTwilio:
    """The fake Twilio API with no recorded calls and no planned failures."""
    twilio.reset()
    return twilio


# --- No phone number or NIK in any log line of the test run ------------------
# Every record logged in this process (at the levels the tests enable) and every
# line of the servers' logs (tests/servers.py SERVER_LOGS) is checked; the run
# fails at its end, naming the lines, if one shows a number unmasked.


class NumberLeaks(logging.Handler):
    """Keeps each emitted log line that shows a phone number or NIK unmasked."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.found: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted is logging's to report
            return
        if carries_numbers(text):
            self.found.append(f"{os.environ.get('PYTEST_CURRENT_TEST', '-')}: {text}")


def leaked_lines(paths: Iterable[Path]) -> List[str]:
    """The lines of these log files that show a phone number or NIK unmasked."""
    found = []
    for path in dict.fromkeys(paths):  # a server restarted in its directory: once
        if path.is_file():
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            found += [
                f"{path}:{n}: {line}" for n, line in enumerate(lines, 1) if carries_numbers(line)
            ]
    return found


_number_leaks = NumberLeaks()


@pytest.fixture(scope="session", autouse=True)
def _no_numbers_in_logs() -> Iterator[None]:
    logging.getLogger().addHandler(_number_leaks)
    yield
    logging.getLogger().removeHandler(_number_leaks)
    found = _number_leaks.found + leaked_lines(servers.SERVER_LOGS)
    if found:
        shown = "\n".join(line[:500] for line in found[:20])
        pytest.fail(f"{len(found)} log lines carry a phone number or NIK unmasked:\n{shown}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    # A test that configures logging (dictConfig) replaces the root's handlers.
    root = logging.getLogger()
    if _number_leaks not in root.handlers:
        root.addHandler(_number_leaks)


# --- No hang at exit ------------------------------------------------------------
# A worker thread that is not a daemon (aiosqlite runs each connection in one)
# keeps the interpreter alive after the last test when a connection was never
# closed: the run would print its result and then hang until CI's timeout. The
# leak is reported by name and the run ends with its real exit status.

_exit_status: List[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    import sys
    import threading
    from concurrent.futures import thread as pool_threads

    # An idle ThreadPoolExecutor worker (the backend's photo decoding pool) is
    # joined by the interpreter's own exit hook: no leak.
    lingering = [
        t
        for t in threading.enumerate()
        if t is not threading.main_thread()
        and not t.daemon
        and getattr(t, "_target", None) is not pool_threads._worker
    ]
    if lingering and _exit_status:
        names = ", ".join(f"{t.name} ({getattr(t, '_target', None)})" for t in lingering)
        print(f"\nthreads left running after the tests (a leak to fix): {names}", file=sys.stderr)
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(_exit_status[-1])

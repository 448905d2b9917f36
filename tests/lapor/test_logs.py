"""One log format for the three processes (lapor.logs), checked on real output.

Each case runs a small program in its own interpreter, as a process starts:
logging and warning filters are process-wide, and pytest's own must not mix in.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import List, Tuple

from lapor.privacy import carries_numbers, mask_phone, mask_text
from tests.servers import REPO_ROOT, base_env, free_port

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) +"
    r"(?P<process>\S+) (?P<logger>\S+): (?P<message>.*)$"
)


def _run(tmp_path: Path, program: str) -> Tuple[str, List[str]]:
    """Runs `program`; returns its stdout and its stderr's lines."""
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(program), encoding="utf-8")
    env = base_env()
    env.pop("PYTHONWARNINGS", None)  # the program's own filters are under test
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr.splitlines()


def _records(lines: List[str]) -> List[Tuple[str, str, str]]:
    """(process, logger, message) of each line; every line must be a record."""
    records = []
    for line in lines:
        match = LINE.match(line)
        assert match, f"not in the log format: {line!r}"
        records.append((match["process"], match["logger"], match["message"]))
    return records


def test_a_sanic_app_logs_each_record_once_in_the_one_format(tmp_path: Path) -> None:
    port = free_port()
    stdout, lines = _run(
        tmp_path,
        f"""
        import asyncio, logging
        import structlog
        from lapor import logs

        logs.configure("probe")

        from sanic import Sanic, response

        app = Sanic("probe")  # Sanic sets up its loggers here, as the backend's app does

        @app.get("/ping")
        async def ping(request):
            logging.getLogger("probe.stdlib").info("handled %s", request.path)
            structlog.get_logger("probe.structlog").info("handled", path=request.path)
            return response.text("pong")

        async def request_then_stop(app):
            reader, writer = await asyncio.open_connection("127.0.0.1", {port})
            writer.write(b"GET /ping HTTP/1.1\\r\\nHost: probe\\r\\nConnection: close\\r\\n\\r\\n")
            await writer.drain()
            await reader.read()
            writer.close()
            app.stop()

        @app.after_server_start
        async def started(app, loop):
            app.add_task(request_then_stop(app))

        app.run(host="127.0.0.1", port={port}, access_log=True)
        """,
    )
    assert stdout == ""  # Sanic's own handler printed to stdout
    records = _records(lines)
    assert {process for process, _, _ in records} == {"probe"}
    assert [r for r, n in Counter(records).items() if n > 1] == []
    messages = [f"{logger}: {message}" for _, logger, message in records]
    assert f"sanic.root: Goin' Fast @ http://127.0.0.1:{port}" in messages
    assert any(m.startswith("sanic.root: Starting worker") for m in messages)
    assert "probe.stdlib: handled /ping" in messages
    assert "probe.structlog: handled path=/ping" in messages
    access = [m for m in messages if m.startswith("sanic.access: ")]
    assert len(access) == 1 and access[0].startswith(
        "sanic.access: GET http://probe/ping 200 byte=4 host=127.0.0.1:"
    )
    assert "sanic.root: Server Stopped" in messages
    # Sanic's start-up box is reduced to its URL line.
    assert not any("platform:" in m or "Sanic v" in m for m in messages)


def test_library_warnings_are_dropped_and_ours_are_logged(tmp_path: Path) -> None:
    _, lines = _run(
        tmp_path,
        """
        import importlib.util, warnings
        from lapor import logs

        logs.configure("probe")

        # Raised inside site-packages (sanic/log.py); Sanic also re-enables
        # every DeprecationWarning with a filter of its own when imported.
        from sanic.log import deprecation
        deprecation("a library's deprecation", 99.9)
        warnings.simplefilter("default", DeprecationWarning)  # as aiogram does when called
        deprecation("a library's deprecation, after its own filter", 99.9)
        # Warnings attributed to library modules, as their own code raises them.
        sanic_file = importlib.util.find_spec("sanic").origin
        warnings.warn_explicit("a library's warning", FutureWarning, sanic_file, 1, "sanic")
        warnings.warn_explicit("a library's user warning", UserWarning, sanic_file, 2, "sanic")
        rasa_file = importlib.util.find_spec("rasa").origin
        warnings.warn_explicit("about our domain", UserWarning, rasa_file, 3, "rasa.shared")

        warnings.warn("our deprecation", DeprecationWarning)
        warnings.warn("our user warning")
        """,
    )
    records = _records(lines)
    assert [(process, logger, message.split(" (")[0]) for process, logger, message in records] == [
        ("probe", "py.warnings", "UserWarning: about our domain"),  # Rasa's are about our bot
        ("probe", "py.warnings", "DeprecationWarning: our deprecation"),
        ("probe", "py.warnings", "UserWarning: our user warning"),
    ]
    # Where the warning was raised, for the one who fixes it.
    assert re.search(r"program\.py:\d+\)$", records[1][2])


def test_the_rasa_server_logs_in_the_same_format(tmp_path: Path) -> None:
    # What the Rasa server does after `configure_rasa()`: Rasa creates its Sanic
    # app, sets the Sanic loggers to stop propagating, logs through stdlib and
    # structlog.
    _, lines = _run(
        tmp_path,
        """
        import importlib.util, logging, warnings
        from lapor import logs

        logs.configure_rasa()

        rasa_file = importlib.util.find_spec("rasa").origin
        # One Rasa knows to be harmless (rasa.utils.common.EXPECTED_WARNINGS).
        warnings.warn_explicit(
            "Slot auto-fill has been removed in 3.0 and replaced with a new explicit mechanism",
            UserWarning, rasa_file, 1, "rasa.shared.core.slot_mappings",
        )
        import structlog
        from rasa.utils.common import update_sanic_log_level
        from sanic import Sanic

        app = Sanic("rasa_server")
        update_sanic_log_level()
        logging.getLogger("sanic.error").error("Sanic error")
        logging.getLogger("rasa.core.run").info("Rasa server is up and running.")
        structlog.get_logger("rasa.core.processor").info(
            "processor.actions.log", event_info="Running action", action_name="utter_greet"
        )
        try:
            1 / 0
        except ZeroDivisionError:
            logging.getLogger("rasa.core.processor").exception("failed")
        """,
    )
    head, traceback = lines[:4], lines[4:]
    assert _records(head) == [
        ("bot", "sanic.error", "Sanic error"),
        ("bot", "rasa.core.run", "Rasa server is up and running."),
        (
            "bot",
            "rasa.core.processor",
            "Running action action_name=utter_greet event_key=processor.actions.log",
        ),
        ("bot", "rasa.core.processor", "failed"),
    ]
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "ZeroDivisionError: division by zero"


def test_phone_numbers_and_niks_are_masked_in_every_part_of_a_line(tmp_path: Path) -> None:
    _, lines = _run(
        tmp_path,
        """
        import logging
        import structlog
        from lapor import logs

        logs.configure("probe")
        log = logging.getLogger("probe.stdlib")
        log.warning("send to %s failed", "whatsapp:+6281234567890")
        log.warning("reporter", extra={"phone": "0812-3456-7890", "nik": "3571012345678901"})
        structlog.get_logger("probe.structlog").warning("reported", phone="+62 812 3456 7890")
        try:
            raise ValueError("The 'To' number whatsapp:+6281234567890 is not valid")
        except ValueError:
            log.exception("Twilio refused")
        """,
    )
    text = "\\n".join(lines)
    assert "send to whatsapp:+6281********* failed" in text
    assert "phone=0812-****-**** nik=3571************" in text
    assert "phone='+62 81* **** ****'" in text
    assert "ValueError: The 'To' number whatsapp:+6281********* is not valid" in text
    for number in ("1234567890", "3456", "012345678901"):
        assert number not in text
    assert not any(carries_numbers(line) for line in lines)


def test_a_line_with_a_number_is_told_from_a_masked_one() -> None:
    # The test run's own check (tests/conftest.py) relies on this; the numbers
    # the tests use must be caught.
    for line in (
        "send to whatsapp:+6281234567890 failed",
        "send to +62 812-3456-7890 failed",
        "send to 081234567890 failed",
        "nik=3571012345678901",
        # Side by side with another number, as in an access line.
        "GET /open311/v2/requests.json?account_id=081234567890 200",
    ):
        assert carries_numbers(line), line
        assert not carries_numbers(mask_text(line)), line
    for line in (
        "send to whatsapp:+6281*****7890 failed",
        "send to whatsapp:+6281********* failed",
        "KDR-2026-000123 diterima 2026-11-29 07:27:35.123 host=127.0.0.1:54465",
        "stream 1700000000000-0",
    ):
        assert not carries_numbers(line), line


def test_the_test_runs_check_catches_an_unmasked_number(tmp_path: Path) -> None:
    from tests.conftest import NumberLeaks, leaked_lines

    leaks = NumberLeaks()
    # Not propagated: the run's own check would (rightly) fail on this line.
    probe = logging.getLogger("tests.number-leak-probe")
    probe.propagate = False
    probe.addHandler(leaks)
    try:
        probe.warning("send to %s failed", mask_phone("whatsapp:+6281234567890"))
        probe.warning("send to %s failed", "whatsapp:+6281234567890")
        try:
            raise ValueError("nik 3571012345678901")
        except ValueError:
            probe.exception("refused")
    finally:
        probe.removeHandler(leaks)
    assert len(leaks.found) == 2
    assert "send to whatsapp:+6281234567890 failed" in leaks.found[0]
    assert "ValueError: nik 3571012345678901" in leaks.found[1]

    log = tmp_path / "backend.log"
    log.write_text("GET /health 200\nGET /open311/v2/requests.json?account_id=081234567890 200\n")
    assert leaked_lines([log, log, tmp_path / "never-written.log"]) == [
        f"{log}:2: GET /open311/v2/requests.json?account_id=081234567890 200"
    ]

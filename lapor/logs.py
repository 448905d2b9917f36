"""One log format for the three processes: backend, action server and Rasa server.

Each process calls `configure(<its name>)` once at start (the Rasa server:
`configure_rasa()`, see there). Every record, from the standard library's
loggers (Sanic, Rasa, SQLAlchemy, Alembic, ours) and from structlog's, goes
through one structlog `ProcessorFormatter` to stderr as one line:

    2026-05-04 10:21:07.412 INFO    backend sanic.access: GET /health host=... status=200
    time                    level   process logger: message, then key=value pairs

(a traceback follows on the next lines). Fields a record carries besides its
message (structlog's keys, `extra=` of a stdlib call such as Sanic's access
log) are rendered as key=value pairs.

Phone numbers and NIKs are masked in every line, the traceback included
(lapor.privacy.mask_text): wherever a number comes from (a Twilio error that
quotes the `To` number, a citizen's message in a debug line, a URL in the
access log), the line that leaves the process carries its first digits only.

Sanic 21.12 configures logging itself whenever an app is created, from
`sanic.log.LOGGING_CONFIG_DEFAULTS`: its own handlers on `sanic.root`,
`sanic.error` and `sanic.access`, which also propagate to the root logger, so
every Sanic line was printed twice. `configure` makes those defaults this
format (one handler, no propagation), so any app created later (the
backend's, rasa_sdk's with `configure_logging=False`, Rasa's own) prints each
record once. Sanic's start-up box is reduced to its "Goin' Fast @ URL" line.

Warnings: deprecation, future and user warnings raised in third-party code
(site-packages and the standard library) are dropped, also when a library
re-enables them with its own filter (Sanic and aiogram do); warnings raised in
our packages are logged as `py.warnings` lines. TensorFlow's C++ and absl
start-up chatter is turned off.
"""

from __future__ import annotations

import logging
import logging.config
import os
import re
import sys
import sysconfig
import time
import warnings
from typing import Any, Dict, Iterable, Optional, TextIO, Tuple, Type, Union

import structlog
from structlog.typing import EventDict, WrappedLogger

from lapor.paths import REPO_ROOT
from lapor.privacy import mask_text

# Top-level packages whose warnings are ours to see (and scripts run as __main__).
OUR_PACKAGES = ("lapor", "backend", "bot", "actions", "tests")
# Warning categories that are a library's business, not the operator's, when
# a library raises them.
LIBRARY_WARNINGS: Tuple[Type[Warning], ...] = (
    DeprecationWarning,
    PendingDeprecationWarning,
    FutureWarning,
    UserWarning,
)
# Rasa's user warnings are about our bot (its domain, config, model), so they
# stay visible.
VISIBLE_LIBRARY_USER_WARNINGS = ("rasa", "rasa_sdk")
# Loggers that only chatter at start-up; they log at LOG_LEVEL_LIBRARIES
# (default ERROR, as Rasa does).
QUIET_LIBRARIES = ("tensorflow", "absl", "h5py", "matplotlib")
# What `rasa run` additionally quiets the same way (rasa.utils.common).
QUIET_RASA_LIBRARIES = (
    "apscheduler",
    "asyncio",
    "engineio.server",
    "socketio.server",
    "websockets.protocol",
    "kafka",
    "aio_pika",
    "aiormq",
)
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access")

Level = Union[int, str]

_OUR_MODULES = re.compile(rf"({'|'.join((*OUR_PACKAGES, '__main__'))})(\.|$)")
_OUR_DIRS = tuple(f"{REPO_ROOT / package}{os.sep}" for package in OUR_PACKAGES)
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def configure(process: str, level: Optional[Level] = None) -> None:
    """Logs of this process (`process` names it in every line) at `level`.

    `level` defaults to $LOG_LEVEL, else INFO. Call it at start (again: no harm).
    """
    _configure(process, level, QUIET_LIBRARIES)


def configure_rasa(level: Optional[Level] = None) -> None:
    """The Rasa server's logging, for the `python -m bot` entry point.

    Call it first, before Rasa is imported (so TensorFlow's and the libraries'
    import-time noise is already filtered); again with the level Rasa's
    arguments ask for (`-v`, `-vv`, `--quiet`: `args.loglevel`), if any. Then
    start Rasa's server without Rasa's own CLI set-up, as bot/__main__.py does:
    parse the arguments with `rasa.__main__.create_argument_parser()` and call
    `args.func(args)` (or `rasa.api.run`, `rasa.core.run.serve_application`),
    not `rasa.__main__.main()`, and pass no `--logging-config-file`: `main()`
    would install coloredlogs' handler over this one and configure structlog
    its own way. What `main()` sets up besides logging (TensorFlow's
    environment, telemetry) stays the entry point's job.
    """
    resolved = _level(level)
    # Rasa reads these (e.g. for the Sanic loggers, in `serve_application`).
    os.environ["LOG_LEVEL"] = logging.getLevelName(resolved)
    os.environ.setdefault("LOG_LEVEL_LIBRARIES", "ERROR")
    _configure("bot", resolved, (*QUIET_LIBRARIES, *QUIET_RASA_LIBRARIES))
    # Rasa's user warnings stay visible, but for those Rasa itself knows to be
    # harmless and `rasa run` filters (imported after our filters are in place).
    from rasa.utils.common import EXPECTED_WARNINGS

    for category, message in EXPECTED_WARNINGS:
        warnings.filterwarnings("ignore", message=f".*{message}", category=category)


def _configure(process: str, level: Optional[Level], quiet: Iterable[str]) -> None:
    # TensorFlow reads this when it is imported (Rasa does so later).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    resolved = _level(level)
    library_level = os.environ.get("LOG_LEVEL_LIBRARIES", "ERROR").upper()
    # Imported here, before the warning filters: importing Sanic adds its own
    # filter ("once" for every DeprecationWarning) in front of earlier ones.
    import sanic.log

    sanic_config = _sanic_config(process, resolved)
    config: Dict[str, Any] = {
        **sanic_config,
        "root": {"level": resolved, "handlers": ["console"]},
        "loggers": {
            **sanic_config["loggers"],
            **{name: {"level": library_level} for name in quiet},
        },
    }
    logging.config.dictConfig(config)
    # Apps created from now on (Sanic applies these defaults in its
    # constructor) keep this format instead of adding their own handlers.
    sanic.log.LOGGING_CONFIG_DEFAULTS.clear()
    sanic.log.LOGGING_CONFIG_DEFAULTS.update(sanic_config)
    _configure_structlog()
    _filter_warnings()


def _level(level: Optional[Level]) -> int:
    if level is None:
        level = os.environ.get("LOG_LEVEL") or "INFO"
    if isinstance(level, str):
        named = logging.getLevelName(level.upper())
        if not isinstance(named, int):
            raise ValueError(f"unknown log level {level!r}")
        return named
    return level


def _sanic_config(process: str, level: int) -> Dict[str, Any]:
    """A dictConfig for Sanic's loggers: our one handler, no propagation."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"sanic_startup": {"()": SanicStartup}},
        "formatters": {"line": {"()": line_formatter, "process": process}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["sanic_startup"],
            }
        },
        "loggers": {
            name: {"level": level, "handlers": ["console"], "propagate": False}
            for name in SANIC_LOGGERS
        },
    }


def line_formatter(process: str) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every line: stdlib and structlog records alike."""
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            _add_record_extras,
            structlog.processors.format_exc_info,
            LineRenderer(process),
        ],
    )


def _configure_structlog() -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            _rasa_event_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _add_record_extras(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """A stdlib record's `extra=` fields (e.g. Sanic's access log) as key=value."""
    if event_dict.get("_from_structlog"):
        return event_dict
    record: logging.LogRecord = event_dict["_record"]
    extras = {
        key: value
        for key, value in vars(record).items()
        if key not in _RECORD_FIELDS and not key.startswith("_")
    }
    if not event_dict.get("event") and "request" in extras and "status" in extras:
        # Sanic's access log: the request line and status are the message.
        event_dict["event"] = f"{extras.pop('request')} {extras.pop('status')}"
    for key, value in extras.items():
        event_dict.setdefault(key, value)
    return event_dict


def _rasa_event_info(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Rasa's structlog events carry their sentence in `event_info`: show that."""
    if "event_info" in event_dict:
        event_dict["event_key"] = event_dict["event"]
        event_dict["event"] = event_dict.pop("event_info")
    return event_dict


class LineRenderer:
    """`time level process logger: message key=value ...`, then any traceback."""

    def __init__(self, process: str) -> None:
        self.process = process

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> str:
        record: logging.LogRecord = event_dict.pop("_record")
        event_dict.pop("_from_structlog", None)
        for key in ("level", "logger", "timestamp", "positional_args"):
            event_dict.pop(key, None)
        message = str(event_dict.pop("event", ""))
        trailer = [
            str(text)
            for text in (
                event_dict.pop("exception", None),
                event_dict.pop("stack", None),
                event_dict.pop("stack_info", None),
            )
            if text and not isinstance(text, bool)
        ]
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        line = f"{when}.{int(record.msecs):03d} {record.levelname:<7} {self.process} {record.name}:"
        pairs = " ".join(f"{key}={_value(value)}" for key, value in event_dict.items())
        line = " ".join(part for part in (line, message, pairs) if part)
        # The whole rendered text, so no field, argument or traceback escapes.
        return mask_text("\n".join([line, *trailer]))


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    if text == "" or any(c.isspace() or c in "\"'=" for c in text):
        return repr(text) if isinstance(value, str) else text
    return text


class SanicStartup(logging.Filter):
    """Sanic's start-up box (version, platform, packages) becomes its URL line;
    its advice to use debug mode (in a terminal) goes."""

    _motd = os.path.join("sanic", "application", "motd.py")
    _url = re.compile(r"Goin' Fast @ (\S+)")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "sanic.error" and "running in PRODUCTION mode" in str(record.msg):
            return False
        if not record.pathname.endswith(self._motd):
            return True
        found = self._url.search(record.getMessage())
        if found is None:
            return False
        record.msg, record.args = f"Goin' Fast @ {found.group(1)}", ()
        return True


def _filter_warnings() -> None:
    for category in LIBRARY_WARNINGS:
        warnings.filterwarnings("ignore", category=category)
        warnings.filterwarnings("default", category=category, module=_OUR_MODULES.pattern)
    for package in VISIBLE_LIBRARY_USER_WARNINGS:
        warnings.filterwarnings("default", category=UserWarning, module=rf"{package}(\.|$)")
    warnings.showwarning = _log_warning


def _log_warning(
    message: Union[Warning, str],
    category: Type[Warning],
    filename: str,
    lineno: int,
    file: Optional[TextIO] = None,
    line: Optional[str] = None,
) -> None:
    """Shown warnings become log lines; a library's own are dropped.

    The drop repeats the filters for the libraries that add filters of their
    own later (Sanic at import, aiogram whenever a deprecated call is made).
    """
    if file is not None:
        file.write(warnings.formatwarning(message, category, filename, lineno, line))
        return
    if issubclass(category, LIBRARY_WARNINGS) and _third_party(filename, category):
        return
    where = filename
    if filename.startswith(f"{REPO_ROOT}{os.sep}"):
        where = filename[len(str(REPO_ROOT)) + 1 :]
    logging.getLogger("py.warnings").warning(
        "%s: %s (%s:%d)", category.__name__, message, where, lineno
    )


def _library_dirs() -> Tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    # Longest first: a venv's site-packages lies inside its platstdlib.
    return tuple(sorted((f"{os.path.realpath(d)}{os.sep}" for d in dirs), key=len, reverse=True))


_LIBRARY_DIRS = _library_dirs()


def _third_party(filename: str, category: Type[Warning]) -> bool:
    if filename.startswith("<frozen "):
        return True
    path = os.path.realpath(filename)
    if path.startswith(_OUR_DIRS):
        return False
    for library_dir in _LIBRARY_DIRS:
        if path.startswith(library_dir):
            package = path[len(library_dir) :].split(os.sep, 1)[0]
            return not (
                issubclass(category, UserWarning) and package in VISIBLE_LIBRARY_USER_WARNINGS
            )
    return False

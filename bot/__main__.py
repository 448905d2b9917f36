"""Start the Rasa server: `python -m bot [--model PATH] [other `rasa run` options]`.

Loads the bot's settings once and, with APP_ENV=production, refuses to start
on development values; then runs `rasa run` in this process with the
project's arguments: the model (`--model`, RASA_MODEL, or the one
scripts/model-name.sh names for the current data), endpoints.yml
(endpoints.production.yml in production), bot/credentials.yml, RASA_PORT,
RASA_HOST, the HTTP API with RASA_TOKEN, and CORS for the widget's sites only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

from bot.settings import BotSettings, get_settings
from lapor import logs
from lapor.paths import REPO_ROOT
from lapor.settings import ConfigError


def main(argv: Optional[List[str]] = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["nlu"]:  # the editors' model work (bot/nlu/cli.py)
        from bot.nlu import cli

        return cli.main(arguments[1:])
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--model", type=Path, help="a trained model (.tar.gz)")
    args, rasa_options = parser.parse_known_args(arguments)
    # First: Rasa's imports (TensorFlow, libraries' warnings) come after it.
    logs.configure_rasa()
    try:
        # The channels Rasa builds read this same object (get_settings is cached).
        settings = get_settings()
        settings.check_production()
        # With a model server the deployed model is pulled; no local file is needed.
        model = None if settings.model_server_url else _model(args.model or settings.model)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    settings.announce("bot")
    # endpoints*.yml name the action server through the environment.
    os.environ["ACTION_ENDPOINT_URL"] = settings.action_endpoint_url
    os.environ["ACTION_SERVER_TOKEN"] = settings.action_server_token
    # So do their event brokers (the conversation pipeline, docs/pipeline.md).
    os.environ.update(broker_environment(settings))
    # And the model server's token (never written into the endpoints file).
    os.environ["EDITOR_TOKEN"] = settings.editor_token
    return _run_rasa([*rasa_arguments(settings, model), *rasa_options])


def broker_environment(settings: BotSettings) -> Dict[str, str]:
    """The variables endpoints*.yml's broker and stores read; the SQLite file's folder is made."""
    settings.rasa_events_db.parent.mkdir(parents=True, exist_ok=True)
    return {
        "RASA_EVENTS_DB": str(settings.rasa_events_db),
        "RABBITMQ_HOST": settings.rabbitmq_host,
        "RABBITMQ_PORT": str(settings.rabbitmq_port),
        "RABBITMQ_USERNAME": settings.rabbitmq_username,
        "RABBITMQ_PASSWORD": settings.rabbitmq_password,
        "RABBITMQ_QUEUE": settings.rabbitmq_queue,
        "RABBITMQ_EXCHANGE": settings.rabbitmq_exchange,
        "REDIS_HOST": settings.redis_host,
        "REDIS_PORT": str(settings.redis_port),
        "REDIS_PASSWORD": settings.redis_password,
    }


def rasa_arguments(settings: BotSettings, model: Optional[Path]) -> List[str]:
    """The `rasa run` command line for these settings (no model: pulled from the server)."""
    return [
        "run",
        *(["--model", str(model)] if model else []),
        "--endpoints",
        str(endpoints_file(settings)),
        "--credentials",
        str(REPO_ROOT / "bot" / "credentials.yml"),
        "--interface",
        settings.host,
        "--port",
        str(settings.rasa_port),
        "--enable-api",
        "--auth-token",
        settings.rasa_token,
        # Only the city's sites that embed the widget may call it from a browser.
        "--cors",
        *settings.widget_origins,
    ]


def endpoints_file(settings: BotSettings) -> Path:
    """endpoints.yml (endpoints.production.yml in production) and, with a model
    server, the same plus Rasa's `models:` endpoint: replicas pull the deployed
    model by ETag every MODEL_PULL_SECONDS and keep their conversations."""
    name = "endpoints.production.yml" if settings.production else "endpoints.yml"
    base = REPO_ROOT / name
    if not settings.model_server_url:
        return base
    # Appended as text: Rasa substitutes ${EDITOR_TOKEN} only in a plain (unquoted)
    # scalar, and a YAML writer quotes it; the token itself never reaches the disk.
    models = (
        "\n# The model server (MODEL_SERVER_URL), added by python -m bot.\n"
        "models:\n"
        f"  url: {json.dumps(settings.model_server_url)}\n"
        f"  wait_time_between_pulls: {settings.model_pull_seconds}\n"
        "  headers:\n"
        "    Authorization: Bearer ${EDITOR_TOKEN}\n"
    )
    target = settings.rasa_events_db.parent / f"endpoints-{settings.rasa_port}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(base.read_text(encoding="utf-8") + models, encoding="utf-8")
    return target


def _model(given: Optional[Path]) -> Path:
    model = given or _current_model()
    if not model.is_file():
        raise ConfigError(f"no trained model at {model}: run `make train`, or pass --model")
    return model


def _current_model() -> Path:
    """The model trained from the current data and config (what `make train` makes)."""
    script = REPO_ROOT / "scripts" / "model-name.sh"
    name = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, check=True
    ).stdout.strip()
    return REPO_ROOT / name


def _run_rasa(arguments: List[str]) -> int:
    # TensorFlow imports jax (a requirement of its own) only for its TFLite
    # converter, which Rasa never uses: 80 MB and half a second saved.
    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]
    # Imported only now: a refused configuration fails fast, without loading Rasa.
    import rasa.telemetry
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.__main__ import create_argument_parser
    from rasa.shared.exceptions import RasaException

    from bot import (
        action_results,
        actions_down,
        event_types,
        graph_runner,
        keep_alive,
        model_load,
        model_pull,
        sessions,
    )

    # A citizen hears that the action server is down instead of silence.
    actions_down.install()
    # What each turn costs (docs/performance.md): the action server's answers
    # checked against a schema compiled once, event classes looked up once,
    # calls to the action server over connections kept alive, the model's
    # graph run without dask's scheduler.
    action_results.install()
    event_types.install()
    keep_alive.install()
    graph_runner.install()
    # Start-up: the neural model's weights loaded without a training step.
    model_load.install()
    # A long conversation's turns stay as cheap as a short one's.
    sessions.install(get_settings().session_max_events)
    # A replica started with only a model server loads the deployed model.
    model_pull.install()

    # What `rasa.__main__.main()` does but its logging set-up, which would
    # replace lapor.logs' handler with coloredlogs' and render structlog its own way.
    rasa_args = create_argument_parser().parse_args(arguments)
    if getattr(rasa_args, "loglevel", None) is not None:  # -v, -vv, --quiet
        logs.configure_rasa(rasa_args.loglevel)
    tf_env.setup_tf_environment()
    tf_env.check_deterministic_ops()
    sys.path.insert(1, os.getcwd())
    rasa.telemetry.initialize_telemetry()
    rasa.telemetry.initialize_error_reporting()
    try:
        rasa_args.func(rasa_args)
    except RasaException as exc:
        logging.getLogger(__name__).error("%s: %s", type(exc).__name__, exc)
        return 1
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

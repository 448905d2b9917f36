"""Serve the actions: `python -m actions [--port 5055]`.

rasa_sdk's app, plus the workers that send what was kept while the backend
was unreachable: the outbox's reports and the emergency incidents.
`python -m actions dead-letters` lists the kept reports that will not be
filed automatically (refused, or dead-lettered after the retry cap). Both
load the settings once and, with APP_ENV=production, refuse to run on
development values or SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sanic import Sanic

from actions import auth, incidents, outbox
from actions.backend_client import Open311Client
from actions.rasa_api import ConversationNotifier
from actions.settings import ActionSettings, get_settings
from lapor import logs
from lapor.periodic import repeat
from lapor.settings import ConfigError


def serve(settings: ActionSettings, port: int) -> None:
    # Imported once logging is set up: its import warns through sanic_cors.
    from rasa_sdk.endpoint import create_app

    app = create_app("actions")
    auth.require_token(app, settings.action_server_token)

    @app.after_server_start
    async def _start_outbox(app: Sanic, _loop: object) -> None:
        queue = outbox.Outbox.shared(settings.outbox_url)
        client = Open311Client(settings)
        notifier = ConversationNotifier(settings)
        app.add_task(
            repeat(lambda: queue.flush(client, notifier), settings.outbox_interval, "outbox")
        )

    @app.after_server_start
    async def _start_incidents(app: Sanic, _loop: object) -> None:
        kept = incidents.IncidentQueue.shared(settings.outbox_url)
        # Nobody waits on the worker: it may wait as long as any backend call.
        sender = incidents.IncidentClient(settings, timeout=settings.backend_timeout)
        app.add_task(repeat(lambda: kept.flush(sender), settings.incident_interval, "incidents"))

    app.run(settings.host, port, workers=1, access_log=False)


async def dead_letters(settings: ActionSettings) -> int:
    queue = outbox.Outbox(settings.outbox_url)
    try:
        letters = await queue.dead_letters()
    finally:
        await queue.close()
    for line in outbox.summary(letters):
        print(line)
    return len(letters)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "dead-letters"])
    parser.add_argument("--port", type=int, help="default: ACTIONS_PORT, or 5055")
    args = parser.parse_args()
    logs.configure("actions")
    try:
        # The actions rasa_sdk builds read this same object (get_settings is cached).
        settings = get_settings()
        settings.check_production()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "dead-letters":
        asyncio.run(dead_letters(settings))
        return 0
    settings.announce("actions")
    serve(settings, args.port or settings.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())

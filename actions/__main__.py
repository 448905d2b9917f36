"""Serve the actions: `python -m actions [--port 5055]`.

rasa_sdk's app, plus the outbox worker that files reports kept while the
backend was unreachable. `python -m actions dead-letters` lists the kept
reports that will not be filed automatically (refused, or dead-lettered after
the retry cap).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

from rasa_sdk.endpoint import create_app
from sanic import Sanic

from actions import outbox
from actions.backend_client import Open311Client
from actions.config import ActionSettings, load_settings
from actions.rasa_api import ConversationNotifier
from lapor.periodic import repeat


def serve(settings: ActionSettings, port: int) -> None:
    app = create_app("actions")

    @app.after_server_start
    async def _start_outbox(app: Sanic, _loop: object) -> None:
        queue = outbox.Outbox.shared(settings.outbox_url)
        client = Open311Client(settings)
        notifier = ConversationNotifier(settings)
        app.add_task(
            repeat(lambda: queue.flush(client, notifier), settings.outbox_interval, "outbox")
        )

    app.run("0.0.0.0", port, workers=1, access_log=False)


async def dead_letters(settings: ActionSettings) -> int:
    queue = outbox.Outbox(settings.outbox_url)
    try:
        letters = await queue.dead_letters()
    finally:
        await queue.close()
    for line in outbox.summary(letters):
        print(line)
    return len(letters)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "dead-letters"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings()
    if args.command == "dead-letters":
        asyncio.run(dead_letters(settings))
    else:
        serve(settings, args.port)


if __name__ == "__main__":
    main()

"""Serve the actions: `python -m actions [--port 5055]`.

rasa_sdk's app, plus the outbox worker that files reports kept while the
backend was unreachable.
"""

from __future__ import annotations

import argparse
import logging
import os

from rasa_sdk.endpoint import create_app
from sanic import Sanic

from actions.backend_client import Open311Client
from actions.config import load_settings
from actions.outbox import Outbox
from actions.rasa_api import ConversationNotifier
from backend.periodic import repeat


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings()
    app = create_app("actions")

    @app.after_server_start
    async def _start_outbox(app: Sanic, _loop: object) -> None:
        outbox = Outbox.shared(settings.outbox_url)
        client = Open311Client(settings)
        notify = ConversationNotifier(settings).report_filed
        app.add_task(
            repeat(lambda: outbox.flush(client, notify), settings.outbox_interval, "outbox")
        )

    app.run("0.0.0.0", args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()

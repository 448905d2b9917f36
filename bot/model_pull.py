"""A Rasa replica started without a model can pull its first one.

Rasa 3.6 asks the model server with `If-None-Match: <the loaded model's
fingerprint>`. A replica started with only a model server (MODEL_SERVER_URL,
docs/editor-tool.md) has no fingerprint yet, and aiohttp refuses to send a
header whose value is None: every pull fails inside Rasa (logged, retried, never
loaded). `install()` wraps the pull once at start-up of `python -m bot` so
that a missing fingerprint is sent as an empty value, which matches no model.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import rasa.core.agent as rasa_agent

from bot import patching


def install() -> None:
    """Wraps Rasa's pull."""
    patching.wrap(rasa_agent, "_pull_model_and_fingerprint", sending_no_fingerprint_as_empty)


def sending_no_fingerprint_as_empty(original: Callable[..., Any]) -> Callable[..., Any]:
    async def pull(model_server: Any, fingerprint: Optional[str], model_directory: str) -> Any:
        return await original(model_server, fingerprint or "", model_directory)

    return pull

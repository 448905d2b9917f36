"""Rasa's check of the action server's answers, made cheap.

For every answer of the action server, RemoteAction._validate_action_result
calls `jsonschema.validate(result, schema)`. That function first checks Rasa's
large events schema against the JSON Schema metaschema, then builds a new
validator and reference resolver, and only then looks at the answer: under
load it was 44% of the Rasa server's time (docs/performance.md). Even
compiled once, the schema's `oneOf` tries each event against all twenty-odd
event kinds.

Every kind in that `oneOf` fixes `event` to its own name (a constant), so an
event can only ever match the kind it names. `install()` therefore checks the
answer's shape, then each event against its own kind only, with validators
built once from Rasa's own schema. An answer that passes is exactly one
Rasa's schema accepts; one that does not is handed to Rasa's method, which
raises the same error with the same explanation as before.

Wrapped once, at start-up of `python -m bot` (bot/__main__.py), never on import.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Callable, Dict, Text, Tuple

from jsonschema import validators
from jsonschema.protocols import Validator
from rasa.core.actions.action import RemoteAction

from bot import patching

Validate = Callable[[RemoteAction, Dict[Text, Any]], bool]


def _compiled(schema: Dict[str, Any]) -> Validator:
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@cache
def checks() -> Tuple[Validator, Dict[str, Validator]]:
    """The answer's shape without its events, and one validator per event kind."""
    spec = RemoteAction.action_response_format_spec()
    event_schema = spec["properties"]["events"]["items"]
    common = {key: value for key, value in event_schema.items() if key != "oneOf"}
    kinds = {
        kind["properties"]["event"]["const"]: _compiled({"allOf": [common, kind]})
        for kind in event_schema["oneOf"]
    }
    shape = {**spec, "properties": {**spec["properties"], "events": {"type": "array"}}}
    return _compiled(shape), kinds


def valid(result: Any) -> bool:
    """Whether Rasa's schema accepts `result`, without trying every event kind."""
    shape, kinds = checks()
    if not shape.is_valid(result):
        return False
    for event in result.get("events") or []:
        kind = kinds.get(str(event.get("event"))) if isinstance(event, dict) else None
        if kind is None or not kind.is_valid(event):
            return False
    return True


def install() -> None:
    """Replaces the check."""
    patching.wrap(RemoteAction, "_validate_action_result", checked)


def checked(original: Validate) -> Validate:
    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        if valid(result):
            return True
        return original(self, result)  # raises Rasa's own error, explained

    return validate_action_result

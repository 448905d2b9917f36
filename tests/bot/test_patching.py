"""Wrapping a function of Rasa's: the wrapper gets the original, a static or
class method stays one, and wrapping again never stacks wrappers."""

from __future__ import annotations

import types
from typing import Any, Callable

from bot import patching


class Rasa:
    def method(self) -> str:
        return "method"

    @staticmethod
    def static() -> str:
        return "static"

    @classmethod
    def klass(cls) -> str:
        return cls.__name__


def shouting(original: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> str:
        return str(original(*args)).upper()

    return wrapped


def test_methods_of_every_kind_are_wrapped_and_keep_their_kind() -> None:
    for name in ("method", "static", "klass"):
        patching.wrap(Rasa, name, shouting)
        patching.wrap(Rasa, name, shouting)  # again: Rasa's function wrapped once, not twice
    assert Rasa().method() == "METHOD"
    assert Rasa.static() == "STATIC" and isinstance(Rasa.__dict__["static"], staticmethod)
    assert Rasa.klass() == "RASA" and isinstance(Rasa.__dict__["klass"], classmethod)
    assert patching.original(Rasa, "static")() == "static"


def test_a_modules_function_is_wrapped_too() -> None:
    module = types.ModuleType("rasa_like")
    module.pull = lambda: "pull"  # type: ignore[attr-defined]
    patching.wrap(module, "pull", shouting)
    patching.wrap(module, "pull", shouting)
    assert module.pull() == "PULL"  # type: ignore[attr-defined]

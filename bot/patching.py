"""Replacing a method of Rasa's at start-up, once.

Rasa offers no hooks for what bot/actions_down.py, bot/model_pull.py,
bot/sessions.py and the modules of docs/performance.md change, so they wrap
Rasa's functions when
`python -m bot` starts (never on import). `wrap` does it the same way for all:
the wrapper gets Rasa's own function, a static or class method stays one, and
wrapping again (a test, a second start in one process) wraps Rasa's function
again rather than the previous wrapper.
"""

from __future__ import annotations

from typing import Any, Callable

MARK = "_lapor_original"


def wrap(
    owner: Any, name: str, wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> None:
    """owner.name = wrapper(Rasa's original function); owner: a class or a module."""
    current = owner.__dict__[name]
    kind = type(current) if isinstance(current, (staticmethod, classmethod)) else None
    function = current.__func__ if kind else current
    original = getattr(function, MARK, function)
    replacement = wrapper(original)
    setattr(replacement, MARK, original)
    setattr(owner, name, kind(replacement) if kind else replacement)


def original(owner: Any, name: str) -> Callable[..., Any]:
    """Rasa's own function behind owner.name, wrapped or not."""
    current = owner.__dict__[name]
    function = current.__func__ if isinstance(current, (staticmethod, classmethod)) else current
    return getattr(function, MARK, function)

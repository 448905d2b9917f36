"""What the property tests (hypothesis) share: their settings and odd characters."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def checked(max_examples: int) -> settings:
    """Repeatable in CI (derandomize) and fast on a small machine; no deadline,
    as a 20,000-character text on a busy core is slow but not wrong."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Characters that break naive text handling: NUL and controls, direction
# marks, combining marks, emoji with joiners, Unicode spaces and line
# separators, letters whose case changes their length ("İ".lower() is two
# characters), digits int() refuses, and the punctuation tokenizers split on.
ODD = [
    "\x00", "\x1f", "\x7f", "\u200f", "\u202e", "\u200b", "\ufeff", "\u0301", "\u0307",
    "🔥", "👨\u200d👩\u200d👧", "🇮🇩", "\u00a0", "\u2028", "\u3000", "\r\n", "\t", "İ", "ß",
    "ﬁ", "Σ", "²", "١", "٣", "Ⅻ", "2", ".", ",", "!", "?", "/", "-", "'", "_", " ", "\n",
    "(", ")", ":",
]  # fmt: skip

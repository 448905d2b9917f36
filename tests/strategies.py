"""What the property tests (hypothesis) share: their settings and odd characters."""

from __future__ import annotations

from typing import Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

Text = SearchStrategy[str]


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


def chat_text(words: Sequence[str], joiner: str = " ", piece: int = 10, most: int = 30) -> Text:
    """Chat-like text: random pieces, odd characters and known words, joined."""
    parts = st.one_of(st.text(max_size=piece), st.sampled_from(ODD), st.sampled_from(words))
    return st.lists(parts, max_size=most).map(joiner.join)


def any_text(chat: Text) -> Text:
    """Any text: random, chat-like, or up to 20,000 characters long. Long texts
    are built by repetition: drawing 20,000 random characters one by one would
    cost most of the time budget."""
    long_text = st.builds(
        lambda piece, times: (piece * times)[:20_000],
        st.text(min_size=1, max_size=60) | chat.filter(bool),
        st.integers(min_value=30, max_value=2_000),
    )
    return st.one_of(st.text(), chat, long_text)

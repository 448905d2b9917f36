"""Near duplicates: examples close to a sentence, for the editors' inbox.

They are candidates for an editor to look at, not refusals (lapor.nlu.checks refuses
only exact duplicates).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Iterator, List, Tuple

from lapor.nlu.examples import Example, normalise

if TYPE_CHECKING:
    # NluData caches its TokenIndex, so files.py imports this module.
    from lapor.nlu.files import NluData


@dataclass
class TokenIndex:
    """Normalised texts and token -> examples, so a query compares only with examples
    that share a word instead of with all ~3000."""

    texts: Dict[Tuple[str, int], str]
    postings: Dict[str, List[Tuple[str, int]]]

    @classmethod
    def build(cls, examples: Iterator[Tuple[str, int, Example]]) -> TokenIndex:
        texts: Dict[Tuple[str, int], str] = {}
        postings: Dict[str, List[Tuple[str, int]]] = {}
        for intent, index, example in examples:
            text = normalise(example.text)
            texts[(intent, index)] = text
            for token in set(text.split()):
                postings.setdefault(token, []).append((intent, index))
        return cls(texts, postings)


def near_duplicates(
    data: NluData, text: str, threshold: float = 0.85
) -> List[Tuple[str, int, float]]:
    """Examples whose normalised text is at least `threshold` similar (difflib ratio),
    most similar first: candidates for the editors' inbox, not refusals.

    Only examples sharing at least one word with the text are compared, which keeps
    a query over ~3000 examples in milliseconds; a pure respelling that shares no
    word at all ("lmpu jln mti" against "lampu jalan mati") is not found.
    """
    wanted = normalise(text)
    if not wanted:
        return []
    index = data.token_index()
    candidates = {key for token in set(wanted.split()) for key in index.postings.get(token, ())}
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(wanted)
    hits = []
    for key in candidates:
        other = index.texts[key]
        # ratio <= 2*min/(len sum): skip by length before the costly comparison.
        if 2 * min(len(other), len(wanted)) < threshold * (len(other) + len(wanted)):
            continue
        matcher.set_seq1(other)
        if matcher.quick_ratio() < threshold:
            continue
        similarity = matcher.ratio()
        if similarity >= threshold:
            hits.append((key[0], key[1], round(similarity, 4)))
    return sorted(hits, key=lambda hit: (-hit[2], hit[0], hit[1]))

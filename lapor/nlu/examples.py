"""One training example: its annotated line as written in data/nlu, and the plain
text plus entity spans that the editors see and change.

Annotations follow Rasa's own syntax, but only what can be written back unchanged
is read, so editing a line never silently drops part of it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import List, Optional, Tuple

# The entities of docs/nlu.md, "Labelling rule (entities)".
KNOWN_ENTITIES: Tuple[str, ...] = (
    "location",
    "kelurahan",
    "rt_rw",
    "programme",
    "facility",
    "customer_number",
    "pole_number",
    "ticket_id",
)
# Rasa's own annotation syntax (rasa/shared/nlu/training_data/entities_parser.py),
# without the list-of-dicts form that the labelling rule never uses.
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)|\{(?P<json>[^}]+?)\})"
)


@dataclass(frozen=True)
class Span:
    """One labelled entity: characters [start, end) of the example's plain text.

    `value` is set only when it differs from the covered text. `long_form` records
    that the annotation is written as `{"entity": ..., "value": ...}` even so: the
    labelling rule writes every kelurahan that way, and files must round-trip.
    """

    entity: str
    start: int
    end: int
    value: Optional[str] = None
    long_form: bool = False  # meaningful only without a value


@dataclass(frozen=True)
class Example:
    """A training sentence as plain text plus its entity spans."""

    text: str
    spans: Tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        # One representation per annotation, so equal lines give equal examples: a
        # value equal to the covered text is dropped, and long_form only means
        # something without a value (parse_example sets it for the written form).
        object.__setattr__(self, "spans", tuple(self._canonical(s) for s in self.spans))

    def _canonical(self, span: Span) -> Span:
        if span.value is None:
            return span
        if span.value == self.text[span.start : span.end]:
            return replace(span, value=None)
        return replace(span, long_form=False)

    def covered(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def value_of(self, span: Span) -> str:
        """The entity value Rasa learns: the explicit value, else the covered text."""
        return span.value if span.value is not None else self.covered(span)

    def annotated(self) -> str:
        """The line as written in the training file (inverse of parse_example)."""
        out: List[str] = []
        position = 0
        for span in sorted(self.spans, key=lambda s: s.start):
            if span.start < position or span.start >= span.end or span.end > len(self.text):
                raise ValueError(f"span {span} does not fit in {self.text!r}")
            out.append(self.text[position : span.start])
            covered = self.covered(span)
            if span.value is None and not span.long_form:
                out.append(f"[{covered}]({span.entity})")
            else:
                labels = {"entity": span.entity, "value": self.value_of(span)}
                out.append(f"[{covered}]{json.dumps(labels, ensure_ascii=False)}")
            position = span.end
        out.append(self.text[position:])
        return "".join(out)


def parse_example(annotated: str) -> Example:
    """Split an annotated training line into plain text and spans.

    Raises ValueError for annotations this module cannot write back unchanged
    (roles, groups): editing such a line would silently drop them. Rasa's old
    `[text](entity:value)` form is read but written back as `{"entity": ...}`;
    today's data has none.
    """
    text: List[str] = []
    spans: List[Span] = []
    length = 0
    position = 0
    for match in _ANNOTATION.finditer(annotated):
        before = annotated[position : match.start()]
        text.append(before)
        length += len(before)
        covered = match.group("text")
        entity, value, long_form = _labels(match)
        spans.append(Span(entity, length, length + len(covered), value, long_form))
        text.append(covered)
        length += len(covered)
        position = match.end()
    text.append(annotated[position:])
    return Example("".join(text), tuple(spans))


def _labels(match: re.Match[str]) -> Tuple[str, Optional[str], bool]:
    if match.group("json") is None:
        return match.group("entity"), match.group("value"), False
    try:
        labels = json.loads("{" + match.group("json") + "}")
    except json.JSONDecodeError as error:
        raise ValueError(f"unreadable entity annotation {match.group(0)!r}") from error
    if not isinstance(labels, dict) or set(labels) - {"entity", "value"} or "entity" not in labels:
        raise ValueError(f"unsupported entity annotation {match.group(0)!r}")
    value = labels.get("value")
    return str(labels["entity"]), None if value is None else str(value), True


def normalise(text: str) -> str:
    """Lower case, single spaces, no punctuation at either end: what makes two
    sentences "the same" for the model and for the editors.

    A message of punctuation only ("?", "..", "?!": prank examples) keeps its
    punctuation, or all of them would be one and the same empty text.
    """
    folded = " ".join(text.lower().split())
    start, end = 0, len(folded)
    while start < end and _is_edge_noise(folded[start]):
        start += 1
    while end > start and _is_edge_noise(folded[end - 1]):
        end -= 1
    return folded[start:end] or folded


def _is_edge_noise(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")

"""An example as the console's forms send it: the plain text and its marked spans.

The page's script (static/console/nlu.js) keeps the spans in a hidden `spans`
field as JSON, `[{"entity": "location", "start": 4, "end": 15, "value": ...}]`;
without the script an editor may type the annotated line itself into `text`
(`lampu [jl. veteran](location) mati`), which is read the same way.
"""

from __future__ import annotations

import json
from typing import Any, List, Mapping, Optional, Tuple

from lapor.nlu.checks import Problem
from lapor.nlu.examples import Example, Span, parse_example

MAX_SPANS = 20


def example_from_form(form: Mapping[str, Any]) -> Tuple[Optional[Example], List[Problem]]:
    """The example the form describes, or the problems that keep it from being read."""
    text = _field(form, "text")
    raw_spans = _field(form, "spans").strip()
    if not raw_spans:
        try:
            return parse_example(text), []
        except ValueError:
            return None, [_problem("Penanda entitas dalam kalimat tidak terbaca.")]
    try:
        items = json.loads(raw_spans)
    except json.JSONDecodeError:
        return None, [_problem("Daftar penanda entitas rusak; muat ulang halaman.")]
    if not isinstance(items, list) or len(items) > MAX_SPANS:
        return None, [_problem(f"Penanda entitas harus berupa daftar (paling banyak {MAX_SPANS}).")]
    spans = []
    for item in items:
        span = _span(item)
        if span is None:
            return None, [_problem("Ada penanda entitas yang tidak lengkap; muat ulang halaman.")]
        spans.append(span)
    return Example(text, tuple(spans)), []


def spans_json(example: Example) -> str:
    """The hidden field's value for an example shown in a form."""
    return json.dumps(
        [
            {"entity": s.entity, "start": s.start, "end": s.end, "value": example.value_of(s)}
            for s in example.spans
        ],
        ensure_ascii=False,
    )


def _span(item: Any) -> Optional[Span]:
    if not isinstance(item, dict):
        return None
    entity, start, end = item.get("entity"), item.get("start"), item.get("end")
    if not isinstance(entity, str) or not isinstance(start, int) or not isinstance(end, int):
        return None
    value = item.get("value")
    if value is not None and not isinstance(value, str):
        return None
    # Kelurahan are written in the long form with their official name (docs/nlu.md).
    return Span(entity, start, end, value or None, long_form=entity == "kelurahan")


def _field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    if isinstance(value, list):  # Sanic's RequestParameters give lists
        value = value[0] if value else ""
    return str(value or "").replace("\r\n", "\n").strip("\n")


def _problem(message: str) -> Problem:
    return Problem("bad_form", message)

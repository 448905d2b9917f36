"""The content editors' pages for the bot's training examples (data/nlu/<intent>.yml).

Editors browse intents, search sentences, and add, change or delete one example
at a time. Every save goes through DataRepo (backend/editor/data_repo.py), which
validates the change, writes the file and commits it under the editor's name; the
console then records the change in the audit log. A refused change re-renders the
page with status 422 and the editor's draft, so nothing typed is lost.

Numbers shown to people (page, commit message) count from 1, as the checks'
messages do ("contoh ke-13"); URLs and the audit detail use the 0-based index.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend import people, render
from backend.console import views
from backend.console.access import page
from backend.console.posted import Form, form_of, one
from backend.context import context
from backend.editor.data_repo import Author
from backend.editor.forms import example_from_form, spans_json
from lapor.nlu.checks import Change, Problem
from lapor.nlu.examples import KNOWN_ENTITIES, Example, parse_example
from lapor.nlu.files import NluData
from lapor.wilayah import default_wilayah

bp = Blueprint("console_nlu", url_prefix="/console/nlu")

EDITORS = frozenset({"editor"})
SEARCH_LIMIT = 200
HISTORY_LIMIT = 10
SAVED = "Contoh sudah disimpan."
NO_INTENT = "Intent ini tidak ditemukan."
# The entity buttons' labels, in KNOWN_ENTITIES' order (docs/nlu.md's labelling rule).
ENTITY_LABELS: Dict[str, str] = {
    "location": "Lokasi",
    "kelurahan": "Kelurahan",
    "rt_rw": "RT/RW",
    "programme": "Program bansos",
    "facility": "Fasilitas",
    "customer_number": "No. pelanggan",
    "pole_number": "No. tiang",
    "ticket_id": "No. laporan",
}
assert tuple(ENTITY_LABELS) == KNOWN_ENTITIES, "every known entity needs a label"


def chips(text: str, spans: str) -> List[Dict[str, str]]:
    """The spans of a form's hidden field as the page first shows them (the script
    redraws them, removable); a draft's unreadable spans show as none."""
    example, problems = example_from_form({"text": text, "spans": spans or "[]"})
    if example is None or problems:
        return []
    return [
        {"entity": s.entity, "covered": example.covered(s), "value": example.value_of(s)}
        for s in sorted(example.spans, key=lambda s: s.start)
    ]


def _template_globals() -> None:
    """The example form macro (_nlu_example_form.html) is imported by other pages
    without their context: what it needs is made global to the templates."""
    env = render.environment()
    ids = itertools.count(1)
    env.globals["nlu_entity_labels"] = ENTITY_LABELS
    env.globals["nlu_kelurahan"] = sorted(k.name for k in default_wilayah().kelurahan)
    env.globals["nlu_chips"] = chips
    # Each form's labels need ids of their own, however many forms a page holds.
    env.globals["nlu_form_id"] = lambda: f"nlu-{next(ids)}"


_template_globals()


@dataclass(frozen=True)
class Segment:
    """A run of an example's text: plain, or covered by one entity span."""

    text: str
    entity: Optional[str] = None
    value: Optional[str] = None


@dataclass(frozen=True)
class Row:
    """One example as the intent page shows it."""

    index: int
    segments: List[Segment]
    text: str
    spans: str
    annotated: str


@dataclass(frozen=True)
class Draft:
    """What the editor sent in a refused form: shown again with the problems."""

    index: Optional[int]  # None: the add form
    text: str
    spans: str
    expected: str
    problems: List[Problem]
    editing: bool  # False for a refused delete: the row's own text stays in its form


# -- pages -----------------------------------------------------------------------------


@page(bp, "", EDITORS)
async def overview(request: Request, person: people.Person) -> HTTPResponse:
    repo = context(request).data_repo
    data = await asyncio.to_thread(repo.data)
    query = (request.args.get("q") or "").strip()
    hits = data.search(query) if query else []
    return views.show(
        request,
        "console/nlu_examples.html",
        title="Data latih bot",
        intents=sorted((name, len(block.examples)) for name, block in data.blocks.items()),
        query=query,
        hits=[(intent, index, _segments(ex)) for intent, index, ex in hits[:SEARCH_LIMIT]],
        more=max(0, len(hits) - SEARCH_LIMIT),
        history=await asyncio.to_thread(repo.history, HISTORY_LIMIT),
    )


@page(bp, "/intents/<intent>", EDITORS)
async def intent_page(request: Request, person: people.Person, intent: str) -> HTTPResponse:
    data = await _data(request)
    if intent not in data.blocks:
        return views.error(request, 404, NO_INTENT)
    notice = SAVED if request.args.get("selesai") else None
    return _intent_page(request, data, intent, notice=notice)


@page(bp, "/intents/<intent>/examples", EDITORS, methods=("POST",), name="nlu_example_add")
async def add_example(request: Request, person: people.Person, intent: str) -> HTTPResponse:
    data = await _data(request)
    if intent not in data.blocks:
        return views.error(request, 404, NO_INTENT)
    form = form_of(request)
    example, problems = example_from_form(form)
    if example is None:
        return _refused(request, data, intent, form, None, problems)
    change = Change(intent, None, example)
    return await _save(request, person, data, change, form, f"Tambah contoh ke {intent}")


@page(
    bp,
    "/intents/<intent>/examples/<index:int>",
    EDITORS,
    methods=("POST",),
    name="nlu_example_edit",
)
async def edit_example(
    request: Request, person: people.Person, intent: str, index: int
) -> HTTPResponse:
    data = await _data(request)
    if intent not in data.blocks:
        return views.error(request, 404, NO_INTENT)
    form = form_of(request)
    action = one(form, "aksi")
    if action == "hapus":
        change = Change(intent, index, None)
        return await _save(
            request, person, data, change, form, f"Hapus contoh {index + 1} dari {intent}"
        )
    if action != "simpan":
        problem = Problem("bad_form", "Tindakan tidak dikenal; muat ulang halaman.")
        return _refused(request, data, intent, form, index, [problem])
    example, problems = example_from_form(form)
    if example is None:
        return _refused(request, data, intent, form, index, problems)
    change = Change(intent, index, example)
    return await _save(request, person, data, change, form, f"Ubah contoh {index + 1} di {intent}")


# -- saving ----------------------------------------------------------------------------


async def _save(
    request: Request,
    person: people.Person,
    data: NluData,
    change: Change,
    form: Form,
    message: str,
) -> HTTPResponse:
    """Save through DataRepo (which validates and commits), then audit the change."""
    ctx = context(request)
    expected, problem = _expected(form, change)
    if problem is not None:
        return _refused(request, data, change.intent, form, change.index, [problem])
    author = Author(person.username, person.display_name)
    saved = await ctx.data_repo.save_async([change], author, message, [expected])
    if not saved.ok:
        fresh = await _data(request)
        return _refused(request, fresh, change.intent, form, change.index, saved.problems)
    shown = change.example.annotated() if change.example is not None else expected
    detail = {
        "intent": change.intent,
        "index": change.index,
        "example": shown,
        "commit": saved.commit,
    }
    async with ctx.engine.begin() as conn:
        await people.audit(
            conn,
            person.username,
            f"nlu.example.{change.kind}",
            "nlu_example",
            change.intent,
            detail,
        )
    return redirect(f"/console/nlu/intents/{quote(change.intent)}?selesai=1", status=303)


def _expected(form: Form, change: Change) -> Tuple[Optional[str], Optional[Problem]]:
    """The annotated line the editor saw (replace and delete only): DataRepo refuses
    the change when the example is no longer that line (someone else changed it)."""
    if change.index is None:
        return None, None
    values = form.get("expected") or [""]
    seen = values[0].replace("\r\n", "\n")  # not stripped: the line is compared as written
    try:
        parse_example(seen)
    except ValueError:  # not a line this console rendered
        return None, Problem("bad_form", "Formulir ini rusak; muat ulang halaman.")
    return seen, None


# -- rendering -------------------------------------------------------------------------


def _refused(
    request: Request,
    data: NluData,
    intent: str,
    form: Form,
    index: Optional[int],
    problems: List[Problem],
) -> HTTPResponse:
    draft = Draft(
        index=index,
        text=_raw(form, "text"),
        spans=_raw(form, "spans") or "[]",
        expected=_raw(form, "expected"),
        problems=problems,
        editing="text" in form,
    )
    return _intent_page(request, data, intent, status=422, draft=draft)


def _intent_page(
    request: Request,
    data: NluData,
    intent: str,
    status: int = 200,
    notice: Optional[str] = None,
    draft: Optional[Draft] = None,
) -> HTTPResponse:
    rows = [_row(index, example) for index, example in enumerate(data.examples(intent))]
    # One edit form at a time (?ubah=N): a form per example would make the largest
    # intent's page ~700 KB, too heavy for the editors' office connections.
    raw = request.args.get("ubah") or ""
    editing = int(raw) - 1 if raw.isdigit() else None
    return views.show(
        request,
        "console/nlu_intent.html",
        status,
        title=f"Contoh {intent}",
        intent=intent,
        rows=rows,
        notice=notice,
        draft=draft,
        editing=editing,
    )


def _row(index: int, example: Example) -> Row:
    return Row(index, _segments(example), example.text, spans_json(example), example.annotated())


def _segments(example: Example) -> List[Segment]:
    """The example's text cut at its spans, for <mark> highlighting in the template."""
    out: List[Segment] = []
    position = 0
    for span in sorted(example.spans, key=lambda s: s.start):
        if span.start < position:  # overlapping spans never load; be safe anyway
            continue
        out.append(Segment(example.text[position : span.start]))
        out.append(Segment(example.covered(span), span.entity, example.value_of(span)))
        position = span.end
    out.append(Segment(example.text[position:]))
    return [s for s in out if s.text]


async def _data(request: Request) -> NluData:
    # data() asks git for HEAD: a subprocess, kept off the event loop.
    return await asyncio.to_thread(context(request).data_repo.data)


def _raw(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[0]

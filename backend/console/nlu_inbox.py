"""The bot's inbox for content editors: citizens' messages the bot was unsure about
(backend/editor/inbox.py says which and why).

For each message an editor either adds it as a training example of an intent,
which DataRepo validates, writes to data/nlu/<intent>.yml and commits under
the editor's name, or ignores it. Either way the decision is recorded and the
message leaves the inbox. A refused example re-renders the page with status
422, the problems next to that message and the editor's draft kept.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence
from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend import people
from backend.console import views
from backend.console.access import page
from backend.console.posted import Form, form_of, one
from backend.context import context
from backend.editor import inbox
from backend.editor.data_repo import Author
from backend.editor.forms import example_from_form
from lapor.nlu.checks import Change, Problem
from lapor.nlu.files import NluData
from lapor.nlu.similar import near_duplicates

bp = Blueprint("console_nlu_inbox", url_prefix="/console/nlu/inbox")

EDITORS = frozenset({"editor"})
# Who may open a conversation (backend/console/conversations.py).
CONVERSATION_READERS = ("triage", "admin")
PAGE_SIZE = 20
SIMILAR_SHOWN = 3
IGNORED = "Pesan sudah diabaikan; tidak akan muncul lagi di kotak masuk."
NO_INTENT = "Mohon pilih intent untuk contoh ini."
UNKNOWN_ACTION = "Tindakan ini tidak dikenal. Mohon muat ulang halaman lalu coba lagi."


@dataclass
class Draft:
    """What an editor posted for one message, kept when it is refused."""

    event_id: int
    text: str
    spans: str
    intent: str
    problems: List[Problem] = field(default_factory=list)


@page(bp, "", EDITORS)
async def inbox_page(request: Request, person: people.Person) -> HTTPResponse:
    before = _before(request.args.get("sebelum"))
    return await _page(request, person, before, notice=await _notice(request))


@page(bp, "/<event_id:int>", EDITORS, methods=("POST",), name="inbox_decide")
async def decide(request: Request, person: people.Person, event_id: int) -> HTTPResponse:
    form = form_of(request)
    action = one(form, "aksi")
    engine = context(request).engine
    try:
        await inbox.check_pending(engine, event_id)
        if action == "abaikan":
            await inbox.decide(engine, event_id, "ignored", None, None, None, person.username)
            return redirect("/console/nlu/inbox?" + urlencode({"selesai": "abaikan"}), status=303)
        if action == "contoh":
            return await _add_example(request, person, event_id, form)
    except inbox.NotInInbox as exc:
        return views.error(request, 404, str(exc))
    except inbox.AlreadyDecided as exc:
        return views.error(request, 409, str(exc))
    return views.error(request, 400, UNKNOWN_ACTION)


async def _add_example(
    request: Request, person: people.Person, event_id: int, form: Form
) -> HTTPResponse:
    ctx = context(request)
    intent = one(form, "intent")
    draft = Draft(event_id, _raw(form, "text"), _raw(form, "spans") or "[]", intent)
    example, draft.problems = example_from_form(form)
    if not intent:
        draft.problems.append(Problem("no_intent", NO_INTENT))
    if example is None or draft.problems:
        return await _refused(request, person, form, draft)
    author = Author(person.username, person.display_name)
    message = f"Kotak masuk: contoh baru untuk {intent}"
    saved = await ctx.data_repo.save_async([Change(intent, None, example)], author, message)
    if saved.problems or saved.commit is None:
        draft.problems = list(saved.problems)
        return await _refused(request, person, form, draft)
    await inbox.decide(
        ctx.engine, event_id, "example", intent, example.annotated(), saved.commit, person.username
    )
    return redirect("/console/nlu/inbox?" + urlencode({"selesai": intent}), status=303)


async def _refused(
    request: Request, person: people.Person, form: Form, draft: Draft
) -> HTTPResponse:
    before = _before(one(form, "sebelum"))
    return await _page(request, person, before, status=422, draft=draft)


# -- the page ----------------------------------------------------------------------


@dataclass(frozen=True)
class Similar:
    intent: str
    text: str


@dataclass(frozen=True)
class Shown:
    """One message as the page shows it, with its form's starting values."""

    item: inbox.InboxItem
    confidence_pct: Optional[str]
    conversation_href: Optional[str]
    similar: List[Similar]
    text: str
    spans: str
    intent: Optional[str]
    problems: Sequence[Problem]


async def _page(
    request: Request,
    person: people.Person,
    before: Optional[int],
    status: int = 200,
    notice: Optional[str] = None,
    draft: Optional[Draft] = None,
) -> HTTPResponse:
    ctx = context(request)
    threshold = ctx.settings.editor_inbox_confidence
    items = await inbox.unsure_messages(ctx.engine, threshold, PAGE_SIZE, before)
    data = await asyncio.to_thread(ctx.data_repo.data)
    intents = sorted(data.blocks)
    shown = [_shown(item, person, data, intents, draft) for item in items]
    # A refused draft whose message is not on this page still shows its problems.
    stray = draft if draft and all(s.item.event_id != draft.event_id for s in shown) else None
    return views.show(
        request,
        "console/nlu_inbox.html",
        status,
        title="Kotak masuk bot",
        items=shown,
        intents=intents,
        threshold_pct=_percent(threshold),
        notice=notice,
        stray=stray,
        before=before,
        older=items[-1].event_id if len(items) == PAGE_SIZE else None,
    )


def _shown(
    item: inbox.InboxItem,
    person: people.Person,
    data: NluData,
    intents: List[str],
    draft: Optional[Draft],
) -> Shown:
    mine = draft if draft and draft.event_id == item.event_id else None
    predicted = item.intent if item.intent in intents else None
    return Shown(
        item=item,
        confidence_pct=_percent(item.confidence),
        conversation_href=(
            f"/console/conversations/{item.conversation_id}"
            if person.has(*CONVERSATION_READERS)
            else None
        ),
        similar=_similar(data, item.text),
        text=mine.text if mine else item.text,
        spans=mine.spans if mine else "[]",
        intent=(mine.intent or None) if mine else predicted,
        problems=mine.problems if mine else (),
    )


def _similar(data: NluData, text: str) -> List[Similar]:
    found = []
    for intent, index, _ in near_duplicates(data, text)[:SIMILAR_SHOWN]:
        examples = data.examples(intent)
        if index < len(examples):
            found.append(Similar(intent, examples[index].text))
    return found


async def _notice(request: Request) -> Optional[str]:
    done = request.args.get("selesai") or ""
    if done == "abaikan":
        return IGNORED
    if not done:
        return None
    data = await asyncio.to_thread(context(request).data_repo.data)
    return f"Contoh sudah ditambahkan ke {done}." if done in data.blocks else None


def _percent(value: Optional[float]) -> Optional[str]:
    return None if value is None else f"{round(value * 100)}%"


def _before(raw: Any) -> Optional[int]:
    """The page's cursor (?sebelum=<event id>); anything else starts at the newest."""
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _raw(form: Form, name: str) -> str:
    """A field as typed (not stripped), for giving the draft back."""
    values = form.get(name) or []
    return values[0] if values else ""

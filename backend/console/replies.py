"""Canned replies per department (issue 13): the staff_head of a department keeps
its list; its staff read it and insert a reply into a ticket's note (the
ticket page's "Sisipkan balasan"); triage and admin pick a department to read,
and an admin may also change any department's list.

Another department's reply is "not found" (404), as its tickets are.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend import canned_replies, people
from backend.console import views
from backend.console.access import page
from backend.console.posted import Form, form_of, one
from backend.context import context

bp = Blueprint("console_replies", url_prefix="/console/replies")

READERS = frozenset({"staff", "staff_head", "triage", "admin"})
EDITORS = frozenset({"staff_head", "admin"})
# These read every department's replies (picked with ?dinas=); the others their own.
ALL_DEPARTMENTS = frozenset({"triage", "admin"})
NOT_FOUND = "Balasan ini tidak ditemukan."
SAVED = {
    "tambah": "Balasan sudah ditambahkan.",
    "ubah": "Balasan sudah diubah.",
    "hapus": "Balasan sudah dihapus.",
}


def may_edit(person: people.Person, department: str) -> bool:
    """An admin keeps every department's list; a staff_head their own department's."""
    if person.has("admin"):
        return True
    return person.has("staff_head") and person.department_code == department


@page(bp, "", READERS)
async def replies_page(request: Request, person: people.Person) -> HTTPResponse:
    notice = SAVED.get(request.args.get("selesai") or "")
    return await _page(request, person, _chosen(person, request.args.get("dinas")), notice=notice)


@page(bp, "", EDITORS, methods=("POST",), name="reply_add")
async def add_reply(request: Request, person: people.Person) -> HTTPResponse:
    form = form_of(request)
    department = _chosen(person, one(form, "dinas"))
    if not department or not may_edit(person, department):
        return views.error(request, 404, "Dinas ini tidak ditemukan.")
    title, text = one(form, "title"), one(form, "text")
    problem = canned_replies.problem(title, text)
    if problem:
        return await _page(request, person, department, 400, problem=problem, draft=form)
    ctx = context(request)
    await canned_replies.add(ctx.engine, department, title, text, person.username)
    return _done(department, "tambah")


@page(bp, "/<reply_id:int>", EDITORS, methods=("POST",), name="reply_edit")
async def edit_reply(request: Request, person: people.Person, reply_id: int) -> HTTPResponse:
    ctx = context(request)
    found = await _editable(request, person, reply_id)
    if found is None:
        return views.error(request, 404, NOT_FOUND)
    form = form_of(request)
    title, text = one(form, "title"), one(form, "text")
    problem = canned_replies.problem(title, text)
    if problem:
        draft = {**form, "reply_id": [str(reply_id)]}
        return await _page(
            request, person, found.department_code, 400, problem=problem, draft=draft
        )
    try:
        await canned_replies.edit(
            ctx.engine, found.department_code, reply_id, title, text, person.username
        )
    except canned_replies.ReplyNotFound:  # deleted by someone else meanwhile
        return views.error(request, 404, NOT_FOUND)
    return _done(found.department_code, "ubah")


@page(bp, "/<reply_id:int>/delete", EDITORS, methods=("POST",), name="reply_delete")
async def delete_reply(request: Request, person: people.Person, reply_id: int) -> HTTPResponse:
    ctx = context(request)
    found = await _editable(request, person, reply_id)
    if found is None:
        return views.error(request, 404, NOT_FOUND)
    try:
        await canned_replies.remove(ctx.engine, found.department_code, reply_id, person.username)
    except canned_replies.ReplyNotFound:
        return views.error(request, 404, NOT_FOUND)
    return _done(found.department_code, "hapus")


# -- helpers -------------------------------------------------------------------------


def _chosen(person: people.Person, asked: Optional[str]) -> str:
    """The department whose list this person works on ("" when none is chosen yet)."""
    if person.has(*ALL_DEPARTMENTS):
        return (asked or "").strip() or (person.department_code or "")
    return person.department_code or ""


async def _editable(
    request: Request, person: people.Person, reply_id: int
) -> Optional[canned_replies.Reply]:
    found = await canned_replies.find(context(request).engine, reply_id)
    if found is None or not may_edit(person, found.department_code):
        return None
    return found


def _done(department: str, what: str) -> HTTPResponse:
    query = urlencode({"dinas": department, "selesai": what})
    return redirect(f"/console/replies?{query}", status=303)


async def _page(
    request: Request,
    person: people.Person,
    department: str,
    status: int = 200,
    notice: Optional[str] = None,
    problem: Optional[str] = None,
    draft: Optional[Form] = None,
) -> HTTPResponse:
    ctx = context(request)
    known = ctx.catalogue.departments
    if department and department not in known:
        status, problem, department = 404, "Dinas itu tidak dikenal.", ""
    replies = await canned_replies.of_department(ctx.engine, department) if department else []
    written: Dict[str, Any] = {k: v[0] for k, v in (draft or {}).items() if v}
    return views.show(
        request,
        "console/replies.html",
        status,
        title="Balasan siap pakai",
        department=department,
        department_name=known[department].name if department else "",
        departments=_departments(person, known),
        replies=replies,
        editable=bool(department) and may_edit(person, department),
        notice=notice,
        problem=problem,
        draft=written,
        max_title=canned_replies.MAX_TITLE,
        max_text=canned_replies.MAX_TEXT,
    )


def _departments(person: people.Person, known: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """The departments this person may pick (none: their own is the only one)."""
    if not person.has(*ALL_DEPARTMENTS):
        return []
    return sorted(((code, d.name) for code, d in known.items()), key=lambda pair: pair[1])

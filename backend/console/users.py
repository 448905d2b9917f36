"""The admin's users pages: the list of every console account, creating one,
editing one (name, roles, department), disabling and enabling it, and
resetting its password.

Bad input is answered with the form again (status 400), filled in as sent
but for passwords, with every problem in Indonesian; nothing is stored then.
A generated password is shown once, on the page that answers the change
(pages are never cached: backend/render.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend import people
from backend.console import user_admin, views
from backend.console.access import page
from backend.console.user_admin import MESSAGES, Draft
from backend.context import context

bp = Blueprint("console_users", url_prefix="/console/users")
ADMIN = {"admin"}
# What the edit page says after a change (the redirect carries only the code).
DONE = {
    "disimpan": "Perubahan sudah disimpan.",
    "tetap": "Tidak ada yang berubah.",
    "diaktifkan": "Akun sudah diaktifkan kembali. Pengguna dapat masuk lagi.",
    "dinonaktifkan": "Akun sudah dinonaktifkan. Semua sesinya sudah diakhiri.",
    "sandi": "Kata sandi sudah diatur ulang. Semua sesi pengguna ini sudah diakhiri.",
}


@page(bp, "", ADMIN)
async def user_list(request: Request, person: people.Person) -> HTTPResponse:
    departments = _departments(request)
    query = (request.args.get("q") or "").strip()[:100]
    everyone = await user_admin.accounts(context(request).engine)
    shown = [a for a in everyone if user_admin.matches(a, query, departments)]
    return views.show(
        request,
        "console/users.html",
        title="Pengguna",
        accounts=shown,
        total=len(everyone),
        query=query,
        roles=people.ROLES,
        departments=departments,
    )


@page(bp, "/new", ADMIN)
async def new_user_form(request: Request, person: people.Person) -> HTTPResponse:
    return _new_page(request, Draft())


@page(bp, "/new", ADMIN, methods=("POST",), name="new_user_submit")
async def create_user(request: Request, person: people.Person) -> HTTPResponse:
    form, roles = _form(request)
    draft = user_admin.read_new(form, roles, _departments(request))
    if not draft.ok:
        return _new_page(request, draft, 400)
    try:
        created = await people.create_user(
            context(request).engine,
            draft.username,
            draft.password,
            draft.roles,
            display_name=draft.display_name,
            department=draft.department,
            actor=person.username,
        )
    except people.PeopleError as exc:  # e.g. the name was taken a moment ago
        draft.problems.append(user_admin.indonesian(exc))
        return _new_page(request, draft, 400)
    return _done(request, "Pengguna dibuat", created.username, draft, created=True)


@page(bp, "/<username>", ADMIN)
async def edit_user_form(request: Request, person: people.Person, username: str) -> HTTPResponse:
    found = await user_admin.account(context(request).engine, username)
    if found is None:
        return views.error(request, 404, MESSAGES["no_user"])
    draft = Draft(
        username=found.person.username,
        display_name=found.person.display_name,
        roles=found.person.roles,
        department=found.person.department_code,
    )
    notice = DONE.get(request.args.get("selesai") or "")
    return _edit_page(request, found, draft, notice=notice)


@page(bp, "/<username>", ADMIN, methods=("POST",), name="edit_user_submit")
async def save_user(request: Request, person: people.Person, username: str) -> HTTPResponse:
    engine = context(request).engine
    found = await user_admin.account(engine, username)
    if found is None:
        return views.error(request, 404, MESSAGES["no_user"])
    form, roles = _form(request)
    draft = Draft(username=found.person.username)
    user_admin.read_profile(form, roles, _departments(request, found), draft)
    draft.problems += user_admin.self_problems(person, found.person, draft)
    if not draft.ok:
        return _edit_page(request, found, draft, status=400)
    try:
        changed = await user_admin.apply_profile(engine, found.person, draft, person.username)
    except people.PeopleError as exc:
        draft.problems.append(user_admin.indonesian(exc))
        return _edit_page(request, found, draft, status=400)
    return _back(username, "disimpan" if changed else "tetap")


@page(bp, "/<username>/active", ADMIN, methods=("POST",), name="user_active_submit")
async def set_active(request: Request, person: people.Person, username: str) -> HTTPResponse:
    engine = context(request).engine
    found = await user_admin.account(engine, username)
    if found is None:
        return views.error(request, 404, MESSAGES["no_user"])
    form, _ = _form(request)
    active = form.get("active") == "1"
    if not active and found.person.id == person.id:
        return _edit_page(
            request, found, _draft_of(found), status=400, problems=[MESSAGES["self_disable"]]
        )
    if active != found.person.active:
        await people.set_active(engine, username, active, person.username)
    return _back(username, "diaktifkan" if active else "dinonaktifkan")


@page(bp, "/<username>/password", ADMIN, methods=("POST",), name="user_password_submit")
async def reset_password(request: Request, person: people.Person, username: str) -> HTTPResponse:
    engine = context(request).engine
    found = await user_admin.account(engine, username)
    if found is None:
        return views.error(request, 404, MESSAGES["no_user"])
    form, _ = _form(request)
    draft = _draft_of(found)
    user_admin.read_password(form, draft)
    if not draft.ok:
        return _edit_page(request, found, draft, status=400, password_problems=draft.problems)
    # Every session of the person ends (a stolen one too), but the admin's own
    # current one when they reset their own password.
    keep = request.ctx.session.token_hash if found.person.id == person.id else None
    await people.change_password(engine, username, draft.password, person.username, keep)
    if draft.generate:
        return _done(request, "Kata sandi diatur ulang", username, draft, created=False)
    return _back(username, "sandi")


def _new_page(request: Request, draft: Draft, status: int = 200) -> HTTPResponse:
    return views.show(
        request,
        "console/users_new.html",
        status,
        title="Tambah pengguna",
        draft=draft,
        roles=people.ROLES,
        department_roles=user_admin.DEPARTMENT_LABELS,
        departments=_departments(request),
        min_password=people.MIN_PASSWORD,
        generate=draft.generate or status == 200,
    )


def _edit_page(
    request: Request,
    found: user_admin.Account,
    draft: Draft,
    status: int = 200,
    notice: Optional[str] = None,
    problems: Optional[List[str]] = None,
    password_problems: Optional[List[str]] = None,
) -> HTTPResponse:
    me = request.ctx.session.person
    profile_problems = [] if password_problems else draft.problems
    return views.show(
        request,
        "console/users_edit.html",
        status,
        title=f"Pengguna {found.person.username}",
        account=found,
        draft=draft,
        roles=people.ROLES,
        department_roles=user_admin.DEPARTMENT_LABELS,
        departments=_departments(request, found),
        min_password=people.MIN_PASSWORD,
        is_self=found.person.id == me.id,
        notice=notice,
        problems=(problems or []) + profile_problems,
        password_problems=password_problems or [],
    )


def _done(request: Request, title: str, username: str, draft: Draft, created: bool) -> HTTPResponse:
    return views.show(
        request,
        "console/users_done.html",
        title=title,
        username=username,
        created=created,
        password=draft.password if draft.generate else None,
    )


def _back(username: str, code: str) -> HTTPResponse:
    return redirect(f"/console/users/{username}?selesai={code}", status=303)


def _draft_of(found: user_admin.Account) -> Draft:
    person = found.person
    return Draft(person.username, person.display_name, person.roles, person.department_code)


def _departments(request: Request, found: Optional[user_admin.Account] = None) -> Dict[str, str]:
    """Department code -> name, from the catalogue; a person's current code stays
    choosable even if the catalogue no longer has it (so saving keeps it)."""
    catalogue = context(request).catalogue
    known = {code: d.name for code, d in catalogue.departments.items()}
    current = found.person.department_code if found else None
    if current and current not in known:
        known[current] = f"{current} (tidak ada di katalog)"
    return known


def _form(request: Request) -> Tuple[Mapping[str, str], List[str]]:
    """The posted form's single values and its roles (a form or nothing at all)."""
    try:
        form: Any = request.form
    except Exception:  # not a form body: treated as an empty form, so a 400
        form = None
    if not form:
        return {}, []
    values = {k: v[0] for k, v in form.items() if v and isinstance(v[0], str)}
    roles = [r for r in form.getlist("roles") or [] if isinstance(r, str)]
    return values, roles

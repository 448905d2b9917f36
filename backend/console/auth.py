"""Signing in and out, changing one's own password, the console's home page
and its static files."""

from __future__ import annotations

import math
import mimetypes
import re
from datetime import timedelta
from pathlib import Path
from typing import Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw, redirect

from backend import limits, people
from backend.console import access, sessions, views
from backend.console.access import PUBLIC, SIGNED_IN, page
from backend.context import context
from backend.limits import Limit, LimitExceeded
from backend.net import client_address
from backend.render import when

bp = Blueprint("console_auth", url_prefix="/console")

STATIC = Path(__file__).resolve().parent.parent / "static" / "console"
STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(css|js|svg|png|txt)$")
# Many people share an office's address; this is far above what they type,
# and far below what guessing across many accounts needs.
LOGIN_ATTEMPTS = Limit("console-login", 60, timedelta(hours=1))
WRONG = "Nama pengguna atau kata sandi salah."


@page(bp, "/login", PUBLIC, methods=("GET",))
async def login_form(request: Request) -> HTTPResponse:
    session = await access.current_session(request)
    if session is not None:
        return redirect(_next(request.args.get("next")))
    return _login_page(request)


@page(bp, "/login", PUBLIC, methods=("POST",), name="login_submit")
async def login(request: Request) -> HTTPResponse:
    if not access.login_csrf_ok(request):
        stale = "Formulir kedaluwarsa. Mohon coba masuk sekali lagi."
        return _login_page(request, stale, 403)
    ctx = context(request)
    form = request.form or {}
    username = (form.get("username") or "").strip()
    password = form.get("password") or ""
    target = _next(form.get("next"))
    try:
        await limits.check(ctx.engine, LOGIN_ATTEMPTS, f"address:{client_address(request)}")
        person = await people.authenticate(ctx.engine, username, password)
    except LimitExceeded as exc:
        minutes = math.ceil(exc.retry_after.total_seconds() / 60)
        message = f"Terlalu banyak percobaan masuk. Mohon coba lagi dalam {minutes} menit."
        return _login_page(request, message, 429, username, target)
    except people.LockedOut as exc:
        message = (
            "Akun ini dikunci sementara karena kata sandi salah berulang kali. "
            f"Mohon coba lagi pukul {when(exc.until, 'HH.mm')} WIB."
        )
        return _login_page(request, message, 423, username, target)
    if person is None:
        return _login_page(request, WRONG, 401, username, target)
    token = await sessions.open_session(ctx.engine, person, access.lifetimes(request))
    response = redirect(target, status=303)
    _set_cookie(request, response, sessions.COOKIE, token)
    del response.cookies[access.LOGIN_COOKIE]
    return response


@page(bp, "/logout", SIGNED_IN, methods=("POST",))
async def logout(request: Request, person: people.Person) -> HTTPResponse:
    await sessions.close(context(request).engine, request.ctx.session.token_hash, person.username)
    response = redirect("/console/login", status=303)
    del response.cookies[sessions.COOKIE]
    return response


@page(bp, "/", SIGNED_IN)
async def home(request: Request, person: people.Person) -> HTTPResponse:
    return views.show(request, "console/home.html", title="Beranda")


@page(bp, "/password", SIGNED_IN)
async def password_form(request: Request, person: people.Person) -> HTTPResponse:
    return views.show(request, "console/password.html", title="Ganti kata sandi", problem=None)


@page(bp, "/password", SIGNED_IN, methods=("POST",), name="password_submit")
async def change_password(request: Request, person: people.Person) -> HTTPResponse:
    ctx = context(request)
    form = request.form or {}
    current, new = form.get("current") or "", form.get("new") or ""
    problem = None
    if new != (form.get("confirm") or ""):
        problem = "Kata sandi baru dan ulangannya tidak sama."
    elif len(new) < people.MIN_PASSWORD:
        problem = f"Kata sandi baru minimal {people.MIN_PASSWORD} karakter."
    else:
        try:
            verified = await people.authenticate(ctx.engine, person.username, current)
        except people.LockedOut:
            verified = None
        if verified is None:
            problem = "Kata sandi saat ini salah."
    if problem:
        return views.show(
            request, "console/password.html", 400, title="Ganti kata sandi", problem=problem
        )
    token_hash = request.ctx.session.token_hash
    await people.change_password(ctx.engine, person.username, new, person.username, token_hash)
    return views.show(
        request, "console/password.html", title="Ganti kata sandi", problem=None, done=True
    )


@page(bp, "/static/<name>", PUBLIC)
async def static(request: Request, name: str) -> HTTPResponse:
    """The console's stylesheet and scripts (no secrets: open to everyone)."""
    path = STATIC / name
    if not STATIC_NAME.match(name) or not path.is_file():
        return views.error(request, 404, "Berkas tidak ditemukan.")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return raw(path.read_bytes(), content_type=kind, headers={"Cache-Control": "max-age=300"})


def _login_page(
    request: Request,
    problem: Optional[str] = None,
    status: int = 200,
    username: str = "",
    target: Optional[str] = None,
) -> HTTPResponse:
    token = access.login_token()
    response = views.show(
        request,
        "console/login.html",
        status,
        title="Masuk",
        problem=problem,
        username=username,
        login_token=token,
        next=target or _next(request.args.get("next")),
    )
    _set_cookie(request, response, access.LOGIN_COOKIE, token)
    return response


def _next(target: Optional[str]) -> str:
    """Where to go after login: a console page of this site, never elsewhere."""
    if target and target.startswith("/console") and not any(c in target for c in "\\\r\n"):
        return target
    return "/console/"


def _set_cookie(request: Request, response: HTTPResponse, name: str, value: str) -> None:
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["path"] = "/console"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    if context(request).settings.secure_cookie:
        cookie["secure"] = True

"""Who may open each console route: every route is declared with `page`,
which names the roles allowed (or `PUBLIC`), checks the session and, for
anything that changes state, the CSRF token, before the handler runs.

The rule is kept on the route's handler (`RULE`), so a test walks the app's
route table and fails on any console route declared without one.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, Awaitable, Callable, FrozenSet, Iterable, Optional, Sequence
from urllib.parse import quote, urlsplit

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend import people
from backend.console import sessions, views
from backend.context import context

RULE = "console_rule"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Before login there is no session to hold the CSRF token: the login form's
# token is paired with this cookie instead (double submit).
LOGIN_COOKIE = "konsol_pra"

Handler = Callable[..., Awaitable[Optional[HTTPResponse]]]


@dataclass(frozen=True)
class Rule:
    roles: Optional[FrozenSet[str]]  # None: anyone, signed in or not

    @property
    def public(self) -> bool:
        return self.roles is None


PUBLIC: Optional[Iterable[str]] = None
SIGNED_IN: FrozenSet[str] = frozenset(people.ROLES)  # any person, whatever the role


def page(
    bp: Blueprint,
    uri: str,
    roles: Optional[Iterable[str]],
    methods: Sequence[str] = ("GET",),
    name: Optional[str] = None,
) -> Callable[[Handler], Handler]:
    """Declare a console route and who may use it.

    A handler of a PUBLIC route is called as `handler(request, **params)`;
    any other as `handler(request, person, **params)`."""
    rule = Rule(None if roles is None else frozenset(roles))
    unknown = (rule.roles or frozenset()) - people.ROLES.keys()
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)} on {uri}")

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, **params: Any) -> Optional[HTTPResponse]:
            if rule.public:
                return await handler(request, **params)
            session = await current_session(request)
            if session is None:
                return _signed_out(request)
            if not session.person.has(*(rule.roles or ())):
                return views.error(request, 403, "Halaman ini bukan untuk peran Bapak/Ibu.")
            if request.method not in SAFE_METHODS and not csrf_ok(request, session.csrf_token):
                return views.error(request, 403, _STALE_FORM)
            return await handler(request, session.person, **params)

        setattr(guarded, RULE, rule)
        bp.add_route(guarded, uri, methods=list(methods), name=name or handler.__name__)
        return guarded

    return decorate


_STALE_FORM = (
    "Formulir ini sudah kedaluwarsa atau tidak berasal dari konsol. "
    "Mohon muat ulang halaman lalu coba lagi."
)


async def current_session(request: Request) -> Optional[sessions.Session]:
    """The request's session (looked up once per request), or None."""
    if hasattr(request.ctx, "session"):
        found: Optional[sessions.Session] = request.ctx.session
        return found
    token = request.cookies.get(sessions.COOKIE)
    found = None
    if token and len(token) <= 128:
        ctx = context(request)
        found = await sessions.find(ctx.engine, token, lifetimes(request))
    request.ctx.session = found
    return found


def lifetimes(request: Request) -> sessions.Lifetimes:
    settings = context(request).settings
    return sessions.Lifetimes(
        timedelta(minutes=settings.console_idle_minutes),
        timedelta(hours=settings.console_session_hours),
    )


def csrf_ok(request: Request, expected: str) -> bool:
    """The form's (or script's) token matches, and the request comes from this site."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.host:
        return False
    given = request.headers.get(CSRF_HEADER) or _form_value(request, CSRF_FIELD)
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def login_token() -> str:
    return secrets.token_urlsafe(32)


def login_csrf_ok(request: Request) -> bool:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    return bool(cookie) and csrf_ok(request, cookie)


def _signed_out(request: Request) -> HTTPResponse:
    if request.method in SAFE_METHODS:
        target = request.path + (f"?{request.query_string}" if request.query_string else "")
        return redirect(f"/console/login?next={quote(target, safe='')}")
    return views.error(request, 401, "Sesi Bapak/Ibu sudah berakhir. Mohon masuk kembali.")


def _form_value(request: Request, field: str) -> str:
    try:
        form = request.form
    except Exception:  # not a form body (e.g. JSON): the header is the only way
        return ""
    value = form.get(field) if form else None
    return value if isinstance(value, str) else ""

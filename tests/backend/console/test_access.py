"""Every console route checks login and role: the route table is walked, so a
route added without a rule fails here, and each rule is tried with every role."""

from __future__ import annotations

import re
from typing import Dict, List, Tuple
from urllib.parse import urlencode

import pytest
from sanic import Sanic

from backend import people
from backend.console.access import RULE, Rule
from tests.backend.console.helpers import FORM, Browser, signed_in

# A sample value for each path parameter of a console route.
SAMPLES: Dict[str, str] = {
    "name": "console.css",
    "username": "orang-lain",
    "conversation_id": "1",
    "incident_id": "1",
    "call_id": "1",
    "service_request_id": "KDR-2026-000001",
    "reply_id": "1",
    "event_id": "1",
    "intent": "report_road",
    "index": "0",
    "model_id": "1",
}
# Routes that stream for as long as the page is open: tried in test_events.py.
STREAMING = {"/console/events"}
# Routes anyone may open, and why.
PUBLIC = {
    ("GET", "/console/login"),  # the login form
    ("POST", "/console/login"),  # signing in (the form's own CSRF pairing guards it)
    ("GET", "/console/static/<name:str>"),  # stylesheet and scripts
}


def console_routes(app: Sanic) -> List[Tuple[str, str, object]]:
    found = []
    for route in app.router.routes:
        path = "/" + route.path
        if path == "/console" or path.startswith("/console/"):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                found.append((method, path, route.handler))
    return found


def concrete(path: str) -> str:
    def sample(match: "re.Match[str]") -> str:
        name = match.group(1).split(":")[0]
        assert name in SAMPLES, f"add a sample value for <{name}> to SAMPLES"
        return SAMPLES[name]

    return re.sub(r"<([^>]+)>", sample, path)


def test_every_console_route_declares_who_may_use_it(app: Sanic) -> None:
    routes = console_routes(app)
    assert len(routes) >= 6
    missing = [f"{m} {p}" for m, p, h in routes if not isinstance(getattr(h, RULE, None), Rule)]
    assert not missing, f"console routes without an access rule: {missing}"


def test_only_the_listed_routes_are_public(app: Sanic) -> None:
    public = {(m, p) for m, p, h in console_routes(app) if getattr(h, RULE).public}
    assert public == PUBLIC


async def test_every_route_sends_a_stranger_to_the_login_page(app: Sanic) -> None:
    app.asgi_client.cookies.clear()
    for method, path, handler in console_routes(app):
        if getattr(handler, RULE).public:
            continue
        url = concrete(path)
        if method == "GET":
            _, response = await app.asgi_client.get(url, follow_redirects=False)
            assert response.status == 302, f"GET {path}"
            assert response.headers["location"].startswith("/console/login?next=")
        else:
            _, response = await app.asgi_client.request(
                method, url, content="csrf_token=x", headers=FORM, follow_redirects=False
            )
            assert response.status == 401, f"{method} {path}"


@pytest.fixture
async def everyone(database_url: str) -> Dict[str, Browser]:
    """One signed-in person per role."""
    return {
        role: await signed_in(
            database_url,
            f"orang-{role.replace('_', '-')}",
            [role],
            "dishub" if role in people.DEPARTMENT_ROLES else None,
        )
        for role in people.ROLES
    }


async def test_every_route_refuses_the_roles_it_does_not_name(
    app: Sanic, everyone: Dict[str, Browser]
) -> None:
    tried = 0
    for method, path, handler in console_routes(app):
        rule: Rule = getattr(handler, RULE)
        if rule.public:
            continue
        for role, browser in everyone.items():
            if role in (rule.roles or ()):
                continue
            body = urlencode({"csrf_token": browser.csrf})
            _, response = await app.asgi_client.request(
                method, concrete(path), content=body, headers=browser.form_headers()
            )
            assert response.status == 403, f"{role} on {method} {path}"
            assert "bukan untuk peran" in response.text
            tried += 1
    assert tried > 0


async def test_every_route_lets_in_the_roles_it_names(
    app: Sanic, everyone: Dict[str, Browser]
) -> None:
    for method, path, handler in console_routes(app):
        rule: Rule = getattr(handler, RULE)
        if rule.public or path in STREAMING or method != "GET":
            continue
        for role in sorted(rule.roles or ()):
            _, response = await app.asgi_client.get(
                concrete(path), headers=everyone[role].headers, follow_redirects=False
            )
            # A sample id may name nothing (404), but never a refusal.
            assert response.status in (200, 404), f"{role} on GET {path}: {response.status}"


async def test_every_change_without_the_csrf_token_is_refused(
    app: Sanic, everyone: Dict[str, Browser]
) -> None:
    for method, path, handler in console_routes(app):
        rule: Rule = getattr(handler, RULE)
        if rule.public or method == "GET":
            continue
        role = sorted(rule.roles or ())[0]
        browser = everyone[role]
        for body in ("", "csrf_token=forged"):
            _, response = await app.asgi_client.request(
                method, concrete(path), content=body, headers=browser.form_headers()
            )
            assert response.status == 403, f"{method} {path} with {body!r}"
            assert "kedaluwarsa" in response.text


async def test_a_change_from_another_site_is_refused_even_with_the_token(
    app: Sanic, everyone: Dict[str, Browser]
) -> None:
    browser = everyone["triage"]
    _, response = await app.asgi_client.post(
        "/console/logout",
        content=urlencode({"csrf_token": browser.csrf}),
        headers={**browser.form_headers(), "origin": "https://evil.example"},
    )
    assert response.status == 403


async def test_console_pages_are_never_cached_or_framed(
    app: Sanic, everyone: Dict[str, Browser]
) -> None:
    _, response = await app.asgi_client.get("/console/", headers=everyone["admin"].headers)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]
